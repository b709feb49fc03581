"""The reference's GPT-2 (scripts/reference/README.md, "The model and the training recipe"):
Hugging Face GPT2LMHeadModel in plain PyTorch. Module attribute names are chosen so that
state_dict() keys ARE the Hugging Face GPT-2 names (transformer.wte.weight,
transformer.h.0.attn.c_attn.weight, ...), so an export folder loads with
load_state_dict(strict=True) and nothing is renamed."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class ModelConfig:
    """The shape of a GPT-2 model; the same fields the engine's ModelConfig and config.json carry."""

    def __init__(self, vocab_size, n_positions, n_layer, n_head, n_embd, layer_norm_epsilon=1e-5):
        if n_embd % n_head != 0:
            raise ValueError(f"n_embd ({n_embd}) must be divisible by n_head ({n_head})")
        self.vocab_size = vocab_size
        self.n_positions = n_positions
        self.n_layer = n_layer
        self.n_head = n_head
        self.n_embd = n_embd
        self.layer_norm_epsilon = layer_norm_epsilon


class Conv1D(nn.Module):
    """GPT-2's "Conv1D": a linear layer whose weight is stored [in, out], so y = x @ W + b."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(
            *x.shape[:-1], self.weight.shape[1]
        )


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)  # packed q, k, v
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)
        # Not persistent: the causal mask is not a weight and must not appear in state_dict().
        mask = torch.tril(torch.ones(cfg.n_positions, cfg.n_positions, dtype=torch.bool))
        self.register_buffer("causal_mask", mask, persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        NH = self.n_head
        hs = C // NH
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, NH, hs).transpose(1, 2)  # (B, NH, T, hs)
        k = k.view(B, T, NH, hs).transpose(1, 2)
        v = v.view(B, T, NH, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, NH, T, T)
        att = att.masked_fill(~self.causal_mask[:T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = Conv1D(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))  # "gelu_new"


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(cfg.vocab_size, cfg.n_embd),
                wpe=nn.Embedding(cfg.n_positions, cfg.n_embd),
                h=nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)]),
                ln_f=nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon),
            )
        )
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied: one tensor, two names

    def init_weights(self, seed):
        """GPT-2 init: weights N(0, 0.02), residual projections N(0, 0.02/sqrt(2·L)), biases 0,
        LayerNorm weight 1 / bias 0. Drawn in named_parameters() order from torch's seeded RNG."""
        torch.manual_seed(seed)
        residual_std = 0.02 / math.sqrt(2 * self.cfg.n_layer)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if ".ln_" in name:  # ln_1, ln_2, ln_f
                    p.fill_(1.0 if name.endswith(".weight") else 0.0)
                elif name.endswith(".bias"):
                    p.zero_()
                elif name.endswith("attn.c_proj.weight") or name.endswith("mlp.c_proj.weight"):
                    p.normal_(0.0, residual_std)
                else:
                    p.normal_(0.0, 0.02)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        if T > self.cfg.n_positions:
            raise ValueError(f"sequence of {T} tokens exceeds n_positions {self.cfg.n_positions}")
        pos = torch.arange(T, dtype=torch.long)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B, T, C)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))  # (B, T, V)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss


def param_count(model):
    return sum(p.numel() for p in model.parameters())  # parameters() yields the tied tensor once
