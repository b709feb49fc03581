#!/usr/bin/python3
"""PyTorch reference ("oracle") for the CLLM-GPT engine: a plain GPT-2 in one file.

It trains the same model as the TypeScript engine (Hugging Face GPT-2 tensor names and layouts,
Conv1D weights stored [in, out], tied lm_head, GELU tanh "gelu_new", LayerNorm eps 1e-5, no
dropout) with the same hyper-parameters, so the engine's losses and speed can be judged against
an independent implementation, and it reads and writes Hugging Face export folders
(config.json + model.safetensors) with its own minimal safetensors code.

Subcommands:
  train          train on a text file, print validation losses (and tokens/s)
  bench          tokens/s of one full training step on random tokens
  logits         load an HF GPT-2 folder, print the last position's logits as JSON
  export-random  write a freshly initialised model as an HF GPT-2 folder

Needs only the Python standard library and torch (Debian's python3-torch): run with
/usr/bin/python3. See scripts/reference/README.md for commands and what the tests use it for.
"""

import argparse
import array
import json
import math
import os
import statistics
import struct
import sys
import time

# OpenMP threads that spin while they wait collapse (5-10x slower) when the two cores are shared
# with other processes, as on CI; sleeping waits cost little when the machine is idle. Must be
# set before torch loads libgomp; OMP_WAIT_POLICY=ACTIVE in the environment still overrides it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after the OpenMP setting above)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# ----------------------------------------------------------------------------------------------
# Model. Module attribute names are chosen so that state_dict() keys ARE the Hugging Face GPT-2
# names (transformer.wte.weight, transformer.h.0.attn.c_attn.weight, ...), so an export folder
# loads with load_state_dict(strict=True) and nothing is renamed.


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


# ----------------------------------------------------------------------------------------------
# Optimisation: AdamW with decay on 2-D tensors only, warmup + schedule, global-norm clipping.


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


# ----------------------------------------------------------------------------------------------
# Data: tokenizers, split, random windows.


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


# ----------------------------------------------------------------------------------------------
# Safetensors and the Hugging Face folder, written to the spec: an 8-byte little-endian header
# length, a JSON header {name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__": {...}},
# then the raw little-endian tensor bytes, offsets relative to the end of the header.

# dtype name → (bytes per element, integer view used to move the raw bits, torch dtype)
SAFETENSORS_DTYPES = {
    "F32": (4, torch.int32, torch.float32),
    "F16": (2, torch.int16, torch.float16),
    "BF16": (2, torch.int16, torch.bfloat16),
}
ARRAY_CODES = {torch.int32: "i", torch.int16: "h"}


class SafetensorsError(Exception):
    pass


def read_safetensors(path):
    """Returns {name: float32 tensor} from a safetensors file (F32, F16 or BF16 tensors)."""
    if sys.byteorder != "little":
        raise SafetensorsError("this reader assumes a little-endian machine")
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise SafetensorsError(f"{path}: {len(blob)} bytes, too short for the 8-byte header length")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if 8 + header_len > len(blob):
        raise SafetensorsError(
            f"{path}: header length {header_len} runs past the file end ({len(blob)} bytes)"
        )
    try:
        header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SafetensorsError(f"{path}: header is not UTF-8 JSON ({err})") from err
    data = blob[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info.get("dtype")
        if dtype not in SAFETENSORS_DTYPES:
            raise SafetensorsError(f"{path}: tensor {name} has dtype {dtype}; allowed: F32, F16, BF16")
        size, int_dtype, float_dtype = SAFETENSORS_DTYPES[dtype]
        shape = info["shape"]
        begin, end = info["data_offsets"]
        count = math.prod(shape)
        if not (0 <= begin <= end <= len(data)) or end - begin != count * size:
            raise SafetensorsError(
                f"{path}: tensor {name} {dtype}{shape} has data_offsets [{begin}, {end}) "
                f"but needs {count * size} bytes inside a {len(data)}-byte data section"
            )
        # Copy the slice so the tensor is aligned and writable whatever the header length was.
        raw = bytearray(data[begin:end])
        bits = torch.frombuffer(raw, dtype=int_dtype) if count > 0 else torch.empty(0, dtype=int_dtype)
        tensors[name] = bits.view(float_dtype).to(torch.float32).reshape(shape).clone()
    return tensors


def write_safetensors(path, tensors, dtype="F32"):
    """Writes {name: tensor} as one safetensors file, tensors in name order, all in `dtype`.
    The header is padded with spaces so the data section starts 8-byte aligned."""
    size, int_dtype, float_dtype = SAFETENSORS_DTYPES[dtype]
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).to(float_dtype).contiguous()
        raw = array.array(ARRAY_CODES[int_dtype], t.view(int_dtype).reshape(-1).tolist())
        assert raw.itemsize == size
        if sys.byteorder != "little":
            raw.byteswap()
        chunk = raw.tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for chunk in chunks:
            f.write(chunk)


def hf_config(cfg):
    """config.json for transformers' GPT2LMHeadModel with this shape (no dropout, tied head)."""
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": cfg.vocab_size,
        "n_positions": cfg.n_positions,
        "n_ctx": cfg.n_positions,
        "n_embd": cfg.n_embd,
        "n_layer": cfg.n_layer,
        "n_head": cfg.n_head,
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": cfg.layer_norm_epsilon,
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
    }


def config_from_hf(path):
    """ModelConfig from config.json, refusing settings this model does not implement."""
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    for key in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head"):
        if not isinstance(c.get(key), int):
            raise ValueError(f"{path}: field {key} must be an integer, got {c.get(key)!r}")
    expected = {
        "activation_function": ("gelu_new", "gelu_new"),
        "n_inner": (None, None),
        "scale_attn_weights": (True, True),
        "scale_attn_by_inverse_layer_idx": (False, False),
        "reorder_and_upcast_attn": (False, False),
        "tie_word_embeddings": (True, True),
    }
    for key, (default, allowed) in expected.items():
        value = c.get(key, default)
        if key == "n_inner" and value == 4 * c["n_embd"]:
            continue
        if value != allowed:
            raise ValueError(f"{path}: field {key} is {value!r}; this reference supports only {allowed!r}")
    return ModelConfig(
        c["vocab_size"], c["n_positions"], c["n_layer"], c["n_head"], c["n_embd"],
        c.get("layer_norm_epsilon", 1e-5),
    )


def load_hf_folder(model_dir):
    """A GPT instance holding the weights of an HF GPT-2 folder (config.json + model.safetensors)."""
    cfg = config_from_hf(os.path.join(model_dir, "config.json"))
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    wte = weights.get("transformer.wte.weight")
    if wte is None:
        raise ValueError(f"{model_dir}/model.safetensors has no transformer.wte.weight")
    if "lm_head.weight" in weights:
        if not torch.equal(weights["lm_head.weight"], wte):
            raise ValueError(
                f"{model_dir}: lm_head.weight differs from transformer.wte.weight; the head must be tied"
            )
    else:
        weights["lm_head.weight"] = wte  # the tied head, which HF leaves out of the file
    model = GPT(cfg)
    model.load_state_dict(weights, strict=True)
    model.eval()
    return model


# ----------------------------------------------------------------------------------------------
# Subcommands.


def set_threads(threads):
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)


def emit(obj, as_json, text):
    print(json.dumps(obj) if as_json else text, flush=True)


def cmd_train(a):
    if a.warmup > a.steps:
        raise ValueError(f"--warmup ({a.warmup}) must not exceed --steps ({a.steps})")
    if not 0 <= a.min_lr <= a.lr:
        raise ValueError(f"--min-lr ({a.min_lr}) must lie in [0, --lr ({a.lr})]")
    set_threads(a.threads)
    with open(a.data, encoding="utf-8") as f:
        text = f.read()
    ids, vocab_size = tokenize(text, a.tokenizer)
    train_ids, val_ids = split_ids(ids)
    cfg = ModelConfig(vocab_size, a.ctx, a.layers, a.heads, a.embd)
    model = GPT(cfg)
    model.init_weights(a.seed)
    optimizer = make_optimizer(model, a.lr, a.weight_decay, a.beta1, a.beta2, a.eps)

    # Training windows come from their own seeded generator; the validation windows are drawn
    # once from another, so every evaluation measures the same M batches.
    train_gen = torch.Generator().manual_seed(a.seed)
    val_gen = torch.Generator().manual_seed(a.seed + 1)
    val_batches = [sample_windows(val_ids, a.batch, a.ctx, val_gen) for _ in range(a.eval_batches)]

    def evaluate():
        model.eval()
        with torch.no_grad():
            losses = [model(x, y)[1].item() for x, y in val_batches]
        model.train()
        return sum(losses) / len(losses)

    if not a.json:
        print(
            f"tokens {len(ids)} (train {len(train_ids)}, val {len(val_ids)}), vocab {vocab_size}, "
            f"params {param_count(model)}, threads {torch.get_num_threads()}",
            flush=True,
        )
    model.train()
    start = time.perf_counter()
    step_seconds = 0.0
    train_loss = float("nan")
    val_loss = float("nan")
    for step in range(a.steps):
        x, y = sample_windows(train_ids, a.batch, a.ctx, train_gen)
        lr = learning_rate(step, a.steps, a.lr, a.warmup, a.schedule, a.min_lr)
        t0 = time.perf_counter()
        train_loss = train_step(model, optimizer, x, y, lr, a.clip)
        step_seconds += time.perf_counter() - t0
        done = step + 1
        if done % a.eval_every == 0 or done == a.steps:
            val_loss = evaluate()
            emit(
                {"step": done, "train_loss": train_loss, "val_loss": val_loss},
                a.json,
                f"step {done:5d}  lr {lr:.3e}  train {train_loss:.4f}  val {val_loss:.4f}",
            )
    seconds = time.perf_counter() - start
    tokens_per_s = a.steps * a.batch * a.ctx / step_seconds if step_seconds > 0 else 0.0
    emit(
        {"done": True, "step": a.steps, "train_loss": train_loss, "val_loss": val_loss,
         "tokens_per_s": tokens_per_s, "seconds": seconds},
        a.json,
        f"done: {a.steps} steps, train {train_loss:.4f}, val {val_loss:.4f}, "
        f"{tokens_per_s:.0f} tokens/s, {seconds:.1f} s",
    )


BENCH_PRESETS = {
    "tiny": dict(layers=4, heads=4, embd=128, ctx=64, batch=16),
    "small": dict(layers=6, heads=6, embd=384, ctx=128, batch=8),
}


def cmd_bench(a):
    set_threads(a.threads)
    p = BENCH_PRESETS[a.preset]
    cfg = ModelConfig(a.vocab, p["ctx"], p["layers"], p["heads"], p["embd"])
    model = GPT(cfg)
    model.init_weights(a.seed)
    model.train()
    optimizer = make_optimizer(model, 3e-4, 0.1, 0.9, 0.95, 1e-8)
    gen = torch.Generator().manual_seed(a.seed)
    tokens = p["batch"] * p["ctx"]
    timings = []
    for i in range(a.warmup_steps + a.steps):
        batch = torch.randint(a.vocab, (p["batch"], p["ctx"] + 1), generator=gen)
        x, y = batch[:, :-1].contiguous(), batch[:, 1:].contiguous()
        t0 = time.perf_counter()
        train_step(model, optimizer, x, y, 3e-4, 1.0)
        if i >= a.warmup_steps:
            timings.append(time.perf_counter() - t0)
    median = statistics.median(timings)
    result = {
        "preset": a.preset, **p, "vocab": a.vocab, "params": param_count(model),
        "threads": torch.get_num_threads(), "steps": a.steps, "warmup_steps": a.warmup_steps,
        "median_step_ms": median * 1e3, "min_step_ms": min(timings) * 1e3,
        "tokens_per_s": tokens / median, "torch": torch.__version__,
        "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
    }
    emit(
        result,
        a.json,
        f"{a.preset} (vocab {a.vocab}, {result['params']} params, {result['threads']} threads): "
        f"median step {median * 1e3:.1f} ms, {tokens / median:.0f} tokens/s",
    )


def cmd_logits(a):
    set_threads(a.threads)
    try:
        tokens = [int(t) for t in a.tokens.split(",") if t.strip() != ""]
    except ValueError as err:
        raise SystemExit(f"--tokens must be comma-separated integers, got {a.tokens!r}") from err
    model = load_hf_folder(a.model_dir)
    V, T = model.cfg.vocab_size, model.cfg.n_positions
    if not tokens or len(tokens) > T:
        raise SystemExit(f"--tokens needs between 1 and n_positions={T} ids, got {len(tokens)}")
    bad = [t for t in tokens if not 0 <= t < V]
    if bad:
        raise SystemExit(f"--tokens has ids outside [0, {V}): {bad}")
    with torch.no_grad():
        logits, _ = model(torch.tensor([tokens], dtype=torch.long))
    # float32 → Python float is exact and json prints the shortest repr that round-trips.
    print(json.dumps([float(v) for v in logits[0, -1].tolist()]))


def cmd_export_random(a):
    cfg = ModelConfig(a.vocab, a.ctx, a.layers, a.heads, a.embd)
    model = GPT(cfg)
    model.init_weights(a.seed)
    os.makedirs(a.out, exist_ok=True)
    # The tied head is the same tensor as wte; HF leaves it out of the file, and so do we.
    weights = {k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}
    write_safetensors(os.path.join(a.out, "model.safetensors"), weights, a.dtype)
    config = hf_config(cfg)
    config["torch_dtype"] = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[a.dtype]
    with open(os.path.join(a.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    print(f"wrote {a.out}/config.json and {a.out}/model.safetensors ({len(weights)} tensors, {a.dtype})")


# ----------------------------------------------------------------------------------------------
# Command line.


def positive(value):
    n = int(value)
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return n


def non_negative(value):
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {value}")
    return n


def add_shape(p, defaults):
    p.add_argument("--layers", type=positive, default=defaults["layers"], help="n_layer")
    p.add_argument("--heads", type=positive, default=defaults["heads"], help="n_head")
    p.add_argument("--embd", type=positive, default=defaults["embd"], help="n_embd")
    p.add_argument("--ctx", type=positive, default=defaults["ctx"], help="n_positions = window length")


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tiny = {**BENCH_PRESETS["tiny"]}

    t = sub.add_parser("train", help="train on a text file and report validation losses")
    t.add_argument("--data", required=True, help="UTF-8 text file")
    t.add_argument("--tokenizer", choices=["char", "byte"], default="char")
    add_shape(t, tiny)
    t.add_argument("--batch", type=positive, default=tiny["batch"])
    t.add_argument("--steps", type=positive, required=True)
    t.add_argument("--lr", type=float, default=3e-4)
    t.add_argument("--warmup", type=non_negative, default=0, help="warmup steps")
    t.add_argument("--schedule", choices=["constant", "cosine", "linear"], default="constant")
    t.add_argument("--min-lr", type=float, default=0.0)
    t.add_argument("--clip", type=float, default=1.0, help="global grad-norm limit; <= 0 disables")
    t.add_argument("--weight-decay", type=float, default=0.1)
    t.add_argument("--beta1", type=float, default=0.9)
    t.add_argument("--beta2", type=float, default=0.95)
    t.add_argument("--eps", type=float, default=1e-8)
    t.add_argument("--eval-every", type=positive, default=100)
    t.add_argument("--eval-batches", type=positive, default=20)
    t.add_argument("--seed", type=int, default=1337)
    t.add_argument("--threads", type=positive, default=1)
    t.add_argument("--json", action="store_true", help="one JSON object per line")
    t.set_defaults(run=cmd_train)

    b = sub.add_parser("bench", help="tokens/s of forward+backward+clip+AdamW on random tokens")
    b.add_argument("--preset", choices=sorted(BENCH_PRESETS), default="tiny")
    b.add_argument("--steps", type=positive, default=20, help="timed steps")
    b.add_argument("--warmup-steps", type=non_negative, default=5, help="untimed steps first")
    b.add_argument("--vocab", type=positive, default=65)
    b.add_argument("--seed", type=int, default=1337)
    b.add_argument("--threads", type=positive, default=1)
    b.add_argument("--json", action="store_true")
    b.set_defaults(run=cmd_bench)

    lg = sub.add_parser("logits", help="load an HF GPT-2 folder and print the last position's logits")
    lg.add_argument("--model-dir", required=True, help="folder with config.json and model.safetensors")
    lg.add_argument("--tokens", required=True, help="comma-separated token ids, e.g. 1,2,3")
    lg.add_argument("--threads", type=positive, default=1)
    lg.set_defaults(run=cmd_logits)

    e = sub.add_parser("export-random", help="write a freshly initialised model as an HF GPT-2 folder")
    e.add_argument("--out", required=True, help="folder to create or overwrite files in")
    e.add_argument("--vocab", type=positive, required=True)
    add_shape(e, tiny)
    e.add_argument("--seed", type=int, default=1337)
    e.add_argument("--dtype", choices=sorted(SAFETENSORS_DTYPES), default="F32")
    e.set_defaults(run=cmd_export_random)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (SafetensorsError, ValueError, OSError) as err:
        raise SystemExit(f"error: {err}") from err


if __name__ == "__main__":
    main()
