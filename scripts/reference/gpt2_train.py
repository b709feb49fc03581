"""The reference's training recipe: AdamW with decay on 2-D tensors only, warmup + schedule,
global-norm clipping, and the data (tokenizers, the train/validation split, random windows)."""

import math

import torch


def make_optimizer(model, lr, weight_decay, beta1, beta2, eps):
    """torch AdamW (decoupled, bias-corrected) with two groups: decay for every 2-D tensor
    (embeddings and matmul weights), none for biases and LayerNorm parameters."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(beta1, beta2), eps=eps)


def learning_rate(step, steps, lr, warmup, schedule, min_lr):
    """LR for the 0-based `step` of `steps` (the engine's train/schedules.ts, nanoGPT's formulas).
    Warmup: lr·(step+1)/warmup for step < warmup. Then progress = (step−warmup)/(steps−warmup),
    which runs over [0, 1) for step in [warmup, steps), and
    cosine: min + 0.5·(1+cos(π·progress))·(lr−min); linear: min + (1−progress)·(lr−min);
    constant: lr. So the last step is one progress increment short of min_lr, as in the engine."""
    assert 0 <= step < steps, f"step {step} outside [0, {steps})"
    if step < warmup:
        return lr * (step + 1) / warmup
    if schedule == "constant":
        return lr
    progress = (step - warmup) / (steps - warmup)
    if schedule == "cosine":
        return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr - min_lr)
    if schedule == "linear":
        return min_lr + (1.0 - progress) * (lr - min_lr)
    raise ValueError(f"unknown schedule {schedule!r}; allowed: constant, cosine, linear")


def train_step(model, optimizer, x, y, lr, clip):
    """One step: forward, backward, optional global-norm clip, AdamW update. Returns the loss
    of this batch, measured before the update."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    _, loss = model(x, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()



def tokenize(text, tokenizer):
    """Returns (token ids as a 1-D long tensor, vocabulary size).
    char: vocabulary = sorted(set(text)) by Unicode code point (not UTF-16 unit); id = rank.
    byte: the UTF-8 bytes, vocabulary 256."""
    if tokenizer == "char":
        vocab = sorted(set(text))
        rank = {ch: i for i, ch in enumerate(vocab)}
        return torch.tensor([rank[ch] for ch in text], dtype=torch.long), len(vocab)
    if tokenizer == "byte":
        return torch.tensor(list(text.encode("utf-8")), dtype=torch.long), 256
    raise ValueError(f"unknown tokenizer {tokenizer!r}; allowed: char, byte")


def split_ids(ids):
    """First 90% of the token ids train, the rest validation; cut at floor(n·0.9)."""
    n_train = int(len(ids) * 0.9)
    return ids[:n_train], ids[n_train:]


def sample_windows(data, batch, ctx, generator):
    """`batch` random windows of ctx+1 tokens: inputs x and targets y = x shifted by one."""
    if len(data) <= ctx:
        raise ValueError(f"split has {len(data)} tokens; needs more than ctx={ctx}")
    starts = torch.randint(len(data) - ctx, (batch,), generator=generator)
    x = torch.stack([data[i : i + ctx] for i in starts.tolist()])
    y = torch.stack([data[i + 1 : i + 1 + ctx] for i in starts.tolist()])
    return x, y
