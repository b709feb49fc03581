#!/usr/bin/python3
"""PyTorch reference ("oracle") for the CLLM-GPT engine: a plain GPT-2, and its command line.

It trains the same model as the TypeScript engine (Hugging Face GPT-2 tensor names and layouts,
Conv1D weights stored [in, out], tied lm_head, GELU tanh "gelu_new", LayerNorm eps 1e-5, no
dropout) with the same hyper-parameters, so the engine's losses and speed can be judged against
an independent implementation, and it reads and writes Hugging Face export folders
(config.json + model.safetensors) with its own minimal safetensors code. It shares no code with
the engines: the model is gpt2_model.py, the optimiser, schedule and data gpt2_train.py, the
safetensors and Hugging Face folder code hf_folder.py, all beside this file.

Subcommands:
  train          train on a text file, print validation losses (and tokens/s)
  bench          tokens/s of one full training step on random tokens
  logits         load an HF GPT-2 folder, print the last position's logits as JSON
  export-random  write a freshly initialised model as an HF GPT-2 folder

Needs only the Python standard library and torch (Debian's python3-torch): run with
/usr/bin/python3. See scripts/reference/README.md for commands and what the tests use it for.
"""

import argparse
import json
import os
import statistics
import time

# OpenMP threads that spin while they wait collapse (5-10x slower) when the two cores are shared
# with other processes, as on CI; sleeping waits cost little when the machine is idle. Must be
# set before torch loads libgomp; OMP_WAIT_POLICY=ACTIVE in the environment still overrides it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after the OpenMP setting above, as the modules below import it too)
from gpt2_model import GPT, ModelConfig, param_count  # noqa: E402
from gpt2_train import learning_rate, make_optimizer, sample_windows, split_ids, tokenize, train_step  # noqa: E402
from hf_folder import SAFETENSORS_DTYPES, SafetensorsError, hf_config, load_hf_folder, write_safetensors  # noqa: E402


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
