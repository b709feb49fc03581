"""The GPT in torch: model/gpt.ts's GPT-2 with Hugging Face names and layouts (Conv1D weights
stored [in, out], LM head tied to wte, GELU tanh, LayerNorm eps 1e-5, no dropout), its seeded init
and the activation count the memory report uses."""

import math

import numpy as np
import torch

from .rng import Rng

nn = torch.nn
F = torch.nn.functional


def activation_floats(cfg, B, T):
    """model/layout.ts activationLayout + activationGradLayout counts (floats), for engineBytes."""
    V, L, NH, C = cfg["vocabSize"], cfg["nLayer"], cfg["nHead"], cfg["nEmbd"]
    btc, bt, att = B * T * C, B * T, B * NH * T * T
    acts = btc + L * (btc + 2 * bt + 3 * btc + btc) + att + L * att + btc
    acts += L * (btc + btc + 2 * bt + 8 * btc) + btc + L * btc + btc + 2 * bt + B * T * V + bt
    grads = 3 * btc + btc + btc + 8 * btc + btc + btc + btc + 2 * att + 3 * btc + btc
    return acts + grads


class Conv1D(nn.Module):
    """GPT-2's linear layer with its weight stored [in, out]: y = x @ W + b."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.empty(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


class Attention(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.n_head = NH
        self.c_attn = Conv1D(C, 3 * C)
        self.c_proj = Conv1D(C, C)

    def forward(self, x, mask):
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, hs).transpose(1, 2) for t in (q, k, v))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
            att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
            y = att @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Mlp(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.c_fc = Conv1D(C, 4 * C)
        self.c_proj = Conv1D(4 * C, C)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C, eps=1e-5)
        self.attn = Attention(C, NH)
        self.ln_2 = nn.LayerNorm(C, eps=1e-5)
        self.mlp = Mlp(C)

    def forward(self, x, mask):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    """Parameter names are the Hugging Face GPT-2 names, registered in model/layout.ts order;
    the LM head is tied to wte and not a parameter of its own. No buffers at all: the causal
    mask is made per forward, so DDP has nothing to broadcast (gloo cannot send bool)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        C = cfg["nEmbd"]
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(cfg["vocabSize"], C),
                wpe=nn.Embedding(cfg["contextLength"], C),
                h=nn.ModuleList([Block(C, cfg["nHead"]) for _ in range(cfg["nLayer"])]),
                ln_f=nn.LayerNorm(C, eps=1e-5),
            )
        )

    def logits(self, idx):
        T = idx.shape[1]
        tr = self.transformer
        mask = torch.ones(T, T, dtype=torch.bool, device=idx.device).tril_()
        x = tr.wte(idx) + tr.wpe(torch.arange(T, device=idx.device))
        for block in tr.h:
            x = block(x, mask)
        return F.linear(tr.ln_f(x), tr.wte.weight)

    def forward(self, idx, targets):
        logits = self.logits(idx)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def init_params(model, seed, n_layer):
    """model/gpt.ts init: tensor by tensor in layout order from Rng(seed): N(0, 0.02) for weights
    and embeddings, N(0, 0.02/√(2L)) for the residual projections, zeros for biases, ones/zeros
    for LayerNorm; each draw std·normal() in float64, stored as float32."""
    rng = Rng(seed)
    residual_std = 0.02 / math.sqrt(2 * n_layer)
    normal = []
    for name, p in model.named_parameters():
        if ".ln_" in name:
            p.data.fill_(1.0 if name.endswith(".weight") else 0.0)
        elif p.dim() == 1:
            p.data.zero_()
        else:
            std = residual_std if name.endswith("c_proj.weight") else 0.02
            normal.append((p, std))
    draws = rng.normals(sum(p.numel() for p, _ in normal))
    at = 0
    for p, std in normal:
        n = p.numel()
        values = (std * draws[at : at + n]).astype(np.float32).reshape(tuple(p.shape))
        p.data.copy_(torch.from_numpy(values))
        at += n
