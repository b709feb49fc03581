#!/usr/bin/env python3
"""Crystalline Studio's PyTorch engine: trains the studio's GPT-2 with PyTorch, on CPU, CUDA or MPS,
in one process or several (DistributedDataParallel), and speaks the studio's protocol.

The studio (the launcher) starts one process per rank with RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT and OMP_NUM_THREADS set, and hands every rank the same
job file. The program is the built-in engine's trainer (src-worker/train) told again in PyTorch:
the same model (Hugging Face GPT-2 names and layouts), the same seeded init, batches, optimizer
arithmetic, schedules, clipping, accumulation, validation, early stopping, non-finite guard,
metrics and checkpoint file, so a run's charts, history and checkpoints mean the same whichever
engine trained it. The wire protocol is PROTOCOL.md beside this file.

  python3 cllm_torch.py env                   one JSON line: Python, torch, devices, backends
  python3 -u cllm_torch.py train --job J.json  train one rank; events on stdout (rank 0 only)
  python3 cllm_torch.py inspect --job J.json --batches N [--params-out F]
                                              what a run would start from: the first N training
                                              batches, the validation batches and (into F, raw
                                              float32) the initial weights, for checks

Needs only the standard library, torch and numpy.
"""

import argparse
import contextlib
import datetime
import hashlib
import json
import math
import os
import queue
import re
import secrets
import signal
import struct
import sys
import threading
import time
import traceback

# OpenMP threads that spin while they wait collapse when the cores are shared with other processes
# (the studio, other ranks); sleeping waits cost little on an idle machine. Must be set before
# torch loads its OpenMP runtime; the environment still overrides it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

PROTOCOL_VERSION = 1
EXIT_OK, EXIT_FAILED, EXIT_BAD_JOB, EXIT_NO_TORCH = 0, 1, 2, 3


class JobError(Exception):
    """The job file is unreadable or asks for something this program cannot do (exit code 2)."""

    name = "JobError"


class CheckpointError(Exception):
    """A checkpoint cannot be read, written or resumed; `code` as the studio's CheckpointError."""

    name = "CheckpointError"

    def __init__(self, code, path, message):
        super().__init__(message)
        self.code = code
        self.path = path


# ---------------------------------------------------------------------------------------------
# Seeded random numbers: src-worker/util/rng.ts (xoshiro128**, seeded with splitmix32), ported
# exactly so that a seed gives the same init and the same batches as the built-in engine.

M32 = 0xFFFFFFFF
TWO32 = 4294967296


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng:
    def __init__(self, seed):
        x = seed & M32
        words = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            words.append((z ^ (z >> 16)) & M32)
        self.s = words

    def get_state(self):
        return list(self.s)

    def set_state(self, state):
        if len(state) != 4 or all(w == 0 for w in state):
            raise ValueError("an Rng state is four uint32 words, not all zero")
        self.s = [int(w) & M32 for w in state]

    def next_u32(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & M32, 7) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def int(self, n):
        """Uniform integer in [0, n) without modulo bias (rejection, as rng.ts)."""
        limit = TWO32 - (TWO32 % n)
        while True:
            x = self.next_u32()
            if x < limit:
                return x % n

    def normals(self, count):
        """`count` values of rng.ts's normal() (Box–Muller, two words each) as float64, leaving the
        state where `count` calls would. The stream is cut into lanes run side by side in numpy,
        each lane started at its offset by jumping ahead with the generator's GF(2) matrix (the
        state update is linear in the 128 state bits), so millions of draws take a second."""
        import numpy as np

        words = 2 * count
        if words == 0:
            return np.zeros(0)
        lanes = max(1, min(4096, words // 256))
        per_lane = -(-words // lanes)
        step = _xoshiro_matrix()
        jump = _gf2_power(step, per_lane)
        starts = [_state_bits(self.s)]
        for _ in range(lanes - 1):
            starts.append(jump.dot(starts[-1]) & 1)
        st = np.array([_bits_state(b) for b in starts], dtype=np.uint32).T  # (4, lanes)
        s0, s1, s2, s3 = st[0].copy(), st[1].copy(), st[2].copy(), st[3].copy()
        out = np.empty((per_lane, lanes), dtype=np.uint32)
        with np.errstate(over="ignore"):
            for i in range(per_lane):
                r = s1 * np.uint32(5)
                out[i] = ((r << np.uint32(7)) | (r >> np.uint32(25))) * np.uint32(9)
                t = s1 << np.uint32(9)
                s2 ^= s0
                s3 ^= s1
                s1 ^= s2
                s0 ^= s3
                s2 ^= t
                s3 = (s3 << np.uint32(11)) | (s3 >> np.uint32(21))
        stream = out.T.reshape(-1)[:words].astype(np.float64)
        self.s = _bits_state(_gf2_power(step, words).dot(_state_bits(self.s)) & 1)
        u1 = (stream[0::2] + 1.0) / 4294967297.0
        u2 = stream[1::2] / 4294967296.0
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)


def _state_bits(words):
    import numpy as np

    return np.array([(w >> b) & 1 for w in words for b in range(32)], dtype=np.int64)


def _bits_state(bits):
    return [sum(int(bits[32 * w + b]) << b for b in range(32)) for w in range(4)]


_XOSHIRO_MATRIX = None


def _xoshiro_matrix():
    """The 128×128 GF(2) matrix of one xoshiro128 state update (column j: the update of bit j)."""
    global _XOSHIRO_MATRIX
    if _XOSHIRO_MATRIX is None:
        import numpy as np

        cols = []
        for j in range(128):
            r = Rng(0)
            r.s = [(1 << (j % 32)) if w == j // 32 else 0 for w in range(4)]
            r.next_u32()
            cols.append(_state_bits(r.s))
        _XOSHIRO_MATRIX = np.array(cols, dtype=np.int64).T
    return _XOSHIRO_MATRIX


def _gf2_power(m, n):
    import numpy as np

    result = np.eye(m.shape[0], dtype=np.int64)
    base = m.copy()
    while n > 0:
        if n & 1:
            result = result.dot(base) & 1
        base = base.dot(base) & 1
        n >>= 1
    return result


# ---------------------------------------------------------------------------------------------
# Batches: src-worker/data/sampler.ts. Windows of T+1 tokens at uniformly random starts.


class BatchSampler:
    def __init__(self, tokens, B, T, seed):
        if len(tokens) < T + 1:
            raise JobError(
                f"A window of T = {T} tokens plus its next-token target needs at least {T + 1} tokens; "
                f"the split has {len(tokens)}."
            )
        self.tokens = tokens
        self.B = B
        self.T = T
        self.rng = Rng(seed)
        self.drawn = 0
        self.batches_per_epoch = -(-len(tokens) // (B * T))

    def next_starts(self):
        """The B window starts of the next batch (every rank draws all B, then takes its slice)."""
        n = len(self.tokens) - self.T
        starts = [self.rng.int(n) for _ in range(self.B)]
        self.drawn += 1
        return starts

    def get_state(self):
        return {
            "rng": self.rng.get_state(),
            "batchesDrawn": self.drawn,
            "tokenCount": len(self.tokens),
            "batchSize": self.B,
            "seqLen": self.T,
        }

    def set_state(self, state, path):
        mine = {"tokenCount": len(self.tokens), "batchSize": self.B, "seqLen": self.T}
        for key, value in mine.items():
            if state.get(key) != value:
                raise CheckpointError(
                    "CONFIG_MISMATCH",
                    path,
                    f"The saved sampler state is for {key} = {state.get(key)}, but this run has {key} = "
                    f"{value}. Resume with the dataset and batch shape the run was started with.",
                )
        self.rng.set_state(state["rng"])
        self.drawn = int(state["batchesDrawn"])


def windows(tokens, starts, T):
    """(inputs, targets) as int64 arrays (len(starts), T): the windows at `starts` and the same
    windows shifted by one token."""
    import numpy as np

    idx = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(T + 1, dtype=np.int64)
    window = np.asarray(tokens[idx], dtype=np.int64)
    return window[:, :-1], window[:, 1:]


def fixed_batch_starts(tokens, B, T, count, seed):
    sampler = BatchSampler(tokens, B, T, seed)
    return [sampler.next_starts() for _ in range(count)]


# ---------------------------------------------------------------------------------------------
# Learning-rate schedules: src-worker/train/schedules.ts (s = the 0-based step about to be taken).


def learning_rate(step, cfg):
    lr, min_lr, W, T = cfg["lr"], cfg["minLr"], cfg["warmupSteps"], cfg["totalSteps"]
    if step < W:
        return lr * ((step + 1) / W)
    kind = cfg["kind"]
    if kind == "constant":
        return lr
    if step >= T:
        return min_lr
    since = step - W
    if kind == "linear":
        return lr - (lr - min_lr) * (since / (T - W))
    if kind == "cosine":
        return lr - (lr - min_lr) * 0.5 * (1 - math.cos(math.pi * (since / (T - W))))
    if kind == "step":
        return max(min_lr, lr * math.pow(cfg["gamma"], math.floor(since / cfg["stepSize"])))
    if kind == "inverse-sqrt":
        w = max(W, 1)
        return max(min_lr, lr * math.sqrt(w / (since + w)))
    raise JobError(f"train.schedule.kind: unknown schedule {kind!r}")


# ---------------------------------------------------------------------------------------------
# Metrics: src-worker/metrics (EMA, ETA, gradient alerts, histograms, classification).


class Ema:
    def __init__(self, beta):
        self.beta = beta
        self.raw = 0.0
        self.power = 1.0
        self.count = 0

    def update(self, x):
        if not math.isfinite(x):
            return
        self.raw = self.beta * self.raw + (1 - self.beta) * x
        self.power *= self.beta
        self.count += 1

    @property
    def debiased(self):
        return math.nan if self.count == 0 else self.raw / (1 - self.power)


class Eta:
    def __init__(self, beta=0.9):
        self.seconds = Ema(beta)
        self.tokens = Ema(beta)

    def observe(self, seconds, tokens):
        self.seconds.update(seconds)
        self.tokens.update(tokens)

    def tokens_per_second(self):
        return self.tokens.raw / self.seconds.raw if self.seconds.raw > 0 else math.nan

    def eta_seconds(self, done, total):
        return 0.0 if total - done <= 0 else (total - done) * self.seconds.debiased


def js_number(x):
    """JavaScript's String(x) for a double, so messages read as the built-in engine's do."""
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mant, _, exp = repr(abs(float(x))).partition("e")  # shortest round-trip digits, as JS
    whole, _, frac = mant.partition(".")
    e = int(exp or 0)
    # The value is 0.DIGITS × 10^n.
    n = len(whole.lstrip("0")) + e if whole.strip("0") else e - (len(frac) - len(frac.lstrip("0")))
    digits = (whole + frac).lstrip("0").rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    m = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{m}e{'+' if n - 1 >= 0 else '-'}{abs(n - 1)}"


def _fmt3(x):
    """`Number(x.toPrecision(3)).toString()` of the built-in engine's alert messages."""
    return js_number(float(f"{x:.3g}")) if math.isfinite(x) else js_number(x)


class GradientAlertDetector:
    """src-worker/metrics/gradient-stats.ts GradientAlertDetector with its default config."""

    EXPLOSION_NORM, EXPLOSION_FACTOR, EMA_WARMUP = 1e3, 10.0, 10
    VANISHING_NORM, VANISHING_CHECKS = 1e-7, 20

    def __init__(self, names):
        self.names = names
        self.ema = Ema(0.9)
        self.low = [0] * len(names)
        self.exploding = False
        self.non_finite = False

    def check(self, step, global_norm, norms):
        fired = []
        bad = next((i for i, n in enumerate(norms) if not math.isfinite(n)), -1)
        if bad >= 0 or not math.isfinite(global_norm):
            if not self.non_finite:
                tensor = self.names[bad] if bad >= 0 else None
                value = norms[bad] if bad >= 0 else global_norm
                where = "" if tensor is None else f" in {tensor}"
                alert = {
                    "kind": "non-finite",
                    "value": value,
                    "message": f"Gradient norm is {js_number(value)} at step {step}{where}: the loss has "
                    "probably diverged; lower the learning rate or enable gradient clipping.",
                }
                if tensor is not None:
                    alert["tensor"] = tensor
                fired.append(alert)
            self.non_finite = True
            self.low = [0] * len(self.names)
            return fired
        self.non_finite = False
        recent = self.ema.debiased if self.ema.count >= self.EMA_WARMUP else math.nan
        relative = self.EXPLOSION_FACTOR * recent
        over_abs = global_norm > self.EXPLOSION_NORM
        over_rel = global_norm > relative
        if (over_abs or over_rel) and not self.exploding:
            why = (
                f"the limit {_fmt3(self.EXPLOSION_NORM)}"
                if over_abs
                else f"{_fmt3(self.EXPLOSION_FACTOR)}× its recent average {_fmt3(recent)}"
            )
            fired.append(
                {
                    "kind": "explosion",
                    "value": global_norm,
                    "message": f"Gradient explosion at step {step}: global norm {_fmt3(global_norm)} "
                    f"exceeds {why}. Lower the learning rate or clip gradients.",
                }
            )
        self.exploding = over_abs or over_rel
        self.ema.update(global_norm)
        for i, n in enumerate(norms):
            if n >= self.VANISHING_NORM:
                self.low[i] = 0
                continue
            self.low[i] += 1
            if self.low[i] == self.VANISHING_CHECKS:
                fired.append(
                    {
                        "kind": "vanishing",
                        "tensor": self.names[i],
                        "value": n,
                        "message": f"Vanishing gradient in {self.names[i]} at step {step}: norm {_fmt3(n)} "
                        f"has stayed below {_fmt3(self.VANISHING_NORM)} for {self.VANISHING_CHECKS} "
                        "checks; this tensor has stopped learning.",
                    }
                )
        return fired


HISTOGRAM_BINS = 64


def histogram(values):
    """src-worker/metrics/gradient-stats.ts Histogram.compute + snapshot over a float32 array."""
    import numpy as np

    x = values.astype(np.float64, copy=False)
    nan = int(np.isnan(x).sum())
    pos_inf = int(np.isposinf(x).sum())
    neg_inf = int(np.isneginf(x).sum())
    finite = x[np.isfinite(x)]
    any_finite = finite.size > 0
    lo = float(finite.min()) if any_finite else 0.0
    hi = float(finite.max()) if any_finite else 0.0
    mn, mx = (lo, hi) if any_finite else (math.nan, math.nan)
    if lo == hi:
        half = max(0.5, abs(lo) / 2)
        lo -= half
        hi += half
    bins = HISTOGRAM_BINS
    edges = [lo + ((hi - lo) * i) / bins for i in range(bins)] + [hi]
    scale = bins / (hi - lo)
    idx = np.floor((finite - lo) * scale).astype(np.int64)
    idx[idx >= bins] = bins - 1
    counts = np.bincount(idx, minlength=bins)[:bins]
    return {
        "counts": [int(c) for c in counts],
        "edges": edges,
        "min": mn,
        "max": mx,
        "nan": nan,
        "posInf": pos_inf,
        "negInf": neg_inf,
    }


CONFUSION_TOKENS = 12


def most_frequent_tokens(tokens, V, K):
    import numpy as np

    counts = np.bincount(np.asarray(tokens, dtype=np.int64), minlength=V)
    ids = [i for i in range(V) if counts[i] > 0]
    ids.sort(key=lambda i: (-int(counts[i]), i))
    return ids[:K]


def classification_scores(correct_at_k, tp, predicted, support, rows):
    """Accuracy, top-k and the precision/recall/F1 averages of metrics/classification.ts."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / np.where(predicted > 0, predicted, 1), 0.0)
        recall = np.where(support > 0, tp / np.where(support > 0, support, 1), 0.0)
        pr = precision + recall
        f1 = np.where(pr > 0, 2 * precision * recall / np.where(pr > 0, pr, 1), 0.0)
    present = (support > 0) | (predicted > 0)
    classes = int(present.sum())

    def mean_over_present(a):
        return float(a[present].sum()) / classes if classes > 0 else math.nan

    sum_support = float(support.sum())
    sum_pred = float(predicted.sum())
    sum_tp = float(tp.sum())
    micro_p = sum_tp / sum_pred if sum_pred > 0 else math.nan
    micro_r = sum_tp / sum_support if sum_support > 0 else math.nan
    micro_f1 = 0.0 if micro_p + micro_r == 0 else 2 * micro_p * micro_r / (micro_p + micro_r)

    def weighted(a):
        return float((support * a).sum()) / sum_support if sum_support > 0 else math.nan

    return {
        "accuracy": sum_tp / rows if rows > 0 else math.nan,
        "top5": correct_at_k / rows if rows > 0 else math.nan,
        "f1Macro": mean_over_present(f1),
        "f1Micro": micro_f1,
        "f1Weighted": weighted(f1),
        "precisionMacro": mean_over_present(precision),
        "recallMacro": mean_over_present(recall),
    }


def process_rss():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


# ---------------------------------------------------------------------------------------------
# The studio's checkpoint file (src-worker/checkpoint/format.ts, write.ts, read.ts).

MAGIC = b"CLLMCKPT"
END_MARKER = b"CLLM-END"
FORMAT_VERSION = 1
PREAMBLE_BYTES = 16
HASH_BYTES = 32
TRAILER_BYTES = 2 * HASH_BYTES + len(END_MARKER)
DATA_ALIGNMENT = 64
MAX_HEADER_BYTES = 256 * 1024 * 1024
CHECKPOINT_NAME = re.compile(r"^step-(\d+)\.ckpt$")
TEMP_NAME = re.compile(r"^\.(.+)\.(\d+)-([0-9a-f]{16})\.tmp$")


def align_up(n, a):
    return -(-n // a) * a


def checkpoint_file_name(step):
    return f"step-{step:07d}.ckpt"


def temp_path_for(target):
    d, name = os.path.split(target)
    return os.path.join(d, f".{name}.{os.getpid()}-{secrets.token_hex(8)}.tmp")


def sync_dir(path):
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_checkpoint(path, header, tensors):
    """Writes header + named float32 arrays atomically: temp beside the target, fsync, rename,
    fsync the folder. Returns (bytes, content sha256 hex)."""
    import numpy as np

    table = []
    cursor = 0
    for name, shape, data in tensors:
        offset = align_up(cursor, DATA_ALIGNMENT)
        table.append({"name": name, "dtype": "F32", "shape": list(shape), "offset": offset, "length": data.nbytes})
        cursor = offset + data.nbytes
    text = json.dumps({"header": header, "tensors": table}, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    blob = text.encode("utf-8")
    if len(blob) > MAX_HEADER_BYTES:
        raise CheckpointError("INVALID_INPUT", path, f"Cannot write checkpoint {path}: its header is too large.")
    data_start = align_up(PREAMBLE_BYTES + len(blob), DATA_ALIGNMENT)
    head = bytearray(data_start)
    head[0:8] = MAGIC
    head[8:16] = struct.pack("<II", FORMAT_VERSION, len(blob))
    head[PREAMBLE_BYTES : PREAMBLE_BYTES + len(blob)] = blob
    temp = temp_path_for(path)
    renamed = False
    try:
        with open(temp, "xb") as f:
            header_hash = hashlib.sha256(head)
            content = hashlib.sha256(head)
            f.write(head)
            pos = 0
            for (name, shape, data), entry in zip(tensors, table):
                gap = entry["offset"] - pos
                if gap > 0:
                    content.update(bytes(gap))
                    f.write(bytes(gap))
                raw = np.ascontiguousarray(data, dtype="<f4").tobytes()
                content.update(raw)
                f.write(raw)
                pos = entry["offset"] + entry["length"]
            digest = content.digest()
            f.write(header_hash.digest() + digest + END_MARKER)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
        renamed = True
        sync_dir(os.path.dirname(path) or ".")
    except OSError as err:
        if not renamed:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        full = err.errno in (28, 122)  # ENOSPC, EDQUOT
        raise CheckpointError(
            "DISK_FULL" if full else "WRITE_FAILED",
            path,
            f"Checkpoint {path} could not be written ({err.strerror or err}); the previous file is intact. "
            + ("Free some disk space, then save again." if full else "Check the disk, then save again."),
        ) from err
    return data_start + cursor + TRAILER_BYTES, digest.hex()


def read_checkpoint(path, header_only=False):
    """(header, {name: float32 array}) of a checkpoint, every checksum verified."""
    import numpy as np

    try:
        with open(path, "rb") as f:
            raw = f.read() if not header_only else None
            if header_only:
                pre = f.read(PREAMBLE_BYTES)
                if len(pre) == PREAMBLE_BYTES and pre[:8] == MAGIC:
                    (length,) = struct.unpack("<I", pre[12:16])
                    raw = pre + f.read(min(length, MAX_HEADER_BYTES))
                else:
                    raw = pre
    except OSError as err:
        raise CheckpointError("NOT_FOUND", path, f"Cannot read checkpoint {path}: {err.strerror or err}.") from err

    def corrupt(what):
        return CheckpointError("CORRUPT_HEADER", path, f"{path} is not a readable checkpoint: {what}.")

    if len(raw) < PREAMBLE_BYTES or raw[:8] != MAGIC:
        raise corrupt("it does not start with the CLLMCKPT magic")
    version, length = struct.unpack("<II", raw[8:16])
    if version != FORMAT_VERSION:
        raise CheckpointError(
            "UNSUPPORTED_VERSION",
            path,
            f"{path} is checkpoint format version {version}; this engine reads version {FORMAT_VERSION}. "
            "Resume it once on the built-in engine, which migrates older files.",
        )
    if length > MAX_HEADER_BYTES or PREAMBLE_BYTES + length > len(raw):
        raise corrupt("its header length runs past the end of the file")
    try:
        stored = json.loads(raw[PREAMBLE_BYTES : PREAMBLE_BYTES + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise corrupt(f"its header is not JSON ({err})") from err
    if header_only:
        return stored["header"], None
    if len(raw) < TRAILER_BYTES or raw[-len(END_MARKER) :] != END_MARKER:
        raise CheckpointError("TRUNCATED", path, f"{path} is cut short (no end marker); it was not completely written.")
    data_start = align_up(PREAMBLE_BYTES + length, DATA_ALIGNMENT)
    trailer = len(raw) - TRAILER_BYTES
    if hashlib.sha256(raw[:data_start]).digest() != raw[trailer : trailer + HASH_BYTES]:
        raise corrupt("its header checksum does not match")
    if hashlib.sha256(raw[:trailer]).digest() != raw[trailer + HASH_BYTES : trailer + 2 * HASH_BYTES]:
        raise CheckpointError("CORRUPT_DATA", path, f"{path} is damaged: its content checksum does not match.")
    tensors = {}
    for e in stored["tensors"]:
        start = data_start + e["offset"]
        tensors[e["name"]] = np.frombuffer(raw, dtype="<f4", count=e["length"] // 4, offset=start).reshape(e["shape"])
    return stored["header"], tensors


def plan_retention(entries, policy):
    """train/retention.ts planRetention: (keep, remove) lists of checkpoint dicts."""
    by_step = sorted(entries, key=lambda c: -c["step"])
    keep = set()
    for c in by_step[: max(1, policy["keepLast"])]:
        keep.add(c["path"])
    newest_good = next((c for c in by_step if c["finite"]), None)
    if newest_good:
        keep.add(newest_good["path"])
    if policy["keepBest"]:
        best = None
        for c in entries:
            v = c["valLoss"]
            if not c["finite"] or v is None or not math.isfinite(v):
                continue
            if best is None or v < best["valLoss"] or (v == best["valLoss"] and c["step"] > best["step"]):
                best = c
        if best:
            keep.add(best["path"])
    for c in entries:
        if c["pinned"] or (policy["keepEvery"] > 0 and c["step"] % policy["keepEvery"] == 0):
            keep.add(c["path"])
    return [c for c in by_step if c["path"] in keep], [c for c in by_step if c["path"] not in keep]


def read_pins(folder):
    try:
        with open(os.path.join(folder, "pins.json"), encoding="utf-8") as f:
            pinned = json.load(f).get("pinned")
        return {p for p in pinned if isinstance(p, str)} if isinstance(pinned, list) else set()
    except (OSError, ValueError, AttributeError):
        return set()


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except OSError:
        return False


class RunCheckpoints:
    """train/run-checkpoints.ts: a run's checkpoint folder, its index, verification and pruning."""

    def __init__(self, folder, policy, run_id, step):
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        self.policy = policy
        self.entries = []
        for name in os.listdir(folder):
            m = TEMP_NAME.match(name)
            if m and not _pid_alive(int(m.group(2))):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))
        foreign, abandoned = [], []
        for name in sorted(os.listdir(folder)):
            if not CHECKPOINT_NAME.match(name):
                continue
            path = os.path.join(folder, name)
            try:
                header, _ = read_checkpoint(path, header_only=True)
            except (CheckpointError, KeyError, TypeError):
                continue  # a damaged file stays on disk as evidence, never counted
            owner = (header.get("trainConfig") or {}).get("runId")
            if owner != run_id:
                foreign.append(name)
                continue
            if header["step"] > step:
                abandoned.append(path)
                continue
            metrics = header.get("metrics") or {}
            self.entries.append(
                {
                    "path": path,
                    "step": header["step"],
                    "valLoss": metrics.get("valLoss"),
                    "finite": metrics.get("finite", True),
                    "pinned": False,
                }
            )
        if foreign:
            more = ", …" if len(foreign) > 3 else ""
            raise JobError(
                f"{folder} already holds checkpoints of another run ({', '.join(foreign[:3])}{more}). Write this "
                "run's checkpoints to an empty folder, or continue that run with --resume."
            )
        pins = read_pins(folder)
        for path in abandoned:
            if os.path.basename(path) not in pins:
                os.unlink(path)

    def save(self, step, header, tensors, val_loss, finite):
        path = os.path.join(self.folder, checkpoint_file_name(step))
        size, sha = write_checkpoint(path, header, tensors)
        read_checkpoint(path)  # verify: read back and check both checksums before pruning anything
        saved = {"path": path, "step": step, "valLoss": val_loss, "finite": finite, "pinned": False}
        self.entries = [e for e in self.entries if e["path"] != path] + [saved]
        pins = read_pins(self.folder)
        for e in self.entries:
            e["pinned"] = os.path.basename(e["path"]) in pins
        _, remove = plan_retention(self.entries, self.policy)
        remove = [r for r in remove if r is not saved]
        for r in remove:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(r["path"])
        gone = {r["path"] for r in remove}
        self.entries = [e for e in self.entries if e["path"] not in gone]
        return {"path": path, "step": step, "bytes": size, "sha256": sha, "valLoss": val_loss, "finite": finite}, [
            r["path"] for r in remove
        ]


# ---------------------------------------------------------------------------------------------
# Output: one JSON line per WorkerEvent on stdout, rank 0 only. NaN and ±Infinity become null.


def json_safe(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


class Outbox:
    """worker.ts Outbox: training events wait in a batch flushed every flushMs; any other event
    flushes the batch first, so events arrive in the order they happened. Thread-safe."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.batch = []
        self.lock = threading.Lock()
        self.out = sys.stdout.buffer

    def push(self, event):
        if self.enabled:
            with self.lock:
                self.batch.append(event)

    def flush(self):
        with self.lock:
            self._flush_locked()

    def post(self, event):
        if not self.enabled:
            return
        with self.lock:
            self._flush_locked()
            self._write(event)

    def _flush_locked(self):
        if self.batch:
            events, self.batch = self.batch, []
            self._write({"type": "training-events", "events": events})

    def _write(self, event):
        line = json.dumps(json_safe(event), separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"
        try:
            self.out.write(line.encode("utf-8"))
            self.out.flush()
        except (BrokenPipeError, ValueError):
            self.enabled = False  # the studio is gone; training still ends and saves as on EOF


def serialize_error(err):
    details = {}
    for key, value in vars(err).items() if hasattr(err, "__dict__") else []:
        if value is None or isinstance(value, (str, int, float, bool)):
            details[key] = value
    name = getattr(err, "name", None) or type(err).__name__
    stack = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    return {"name": name, "message": str(err), "stack": stack, "details": details}


# ---------------------------------------------------------------------------------------------
# Commands: rank 0 reads stdin on a thread; every step all ranks agree on one command through
# a tiny all-reduce, so all of them pause, save or stop at the same step.

CMD_NONE, CMD_PAUSE, CMD_RESUME, CMD_CHECKPOINT, CMD_STOP = 0, 1, 2, 3, 4
COMMAND_CODES = {"pause": CMD_PAUSE, "resume": CMD_RESUME, "checkpoint": CMD_CHECKPOINT, "stop": CMD_STOP}


class CommandReader:
    def __init__(self, read_stdin):
        self.queue = queue.Queue()
        self.signalled = False
        if read_stdin:
            threading.Thread(target=self._read, name="stdin", daemon=True).start()

    def _read(self):
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                cmd = json.loads(line)
                code = COMMAND_CODES[cmd["type"]]
                request_id = cmd.get("requestId")
            except (ValueError, KeyError, TypeError):
                print(f"cllm_torch: ignored a command that is not one of {sorted(COMMAND_CODES)}: {line[:200]}",
                      file=sys.stderr, flush=True)
                continue
            self.queue.put((code, request_id))
        # Closed stdin: the studio is gone or wants us gone. Save and exit, as on stop.
        self.queue.put((CMD_STOP, None))

    def take(self, timeout=None):
        """The next command (code, requestId), or (CMD_NONE, None) when there is none in time."""
        if self.signalled:
            return CMD_STOP, None
        try:
            return self.queue.get(timeout=timeout) if timeout else self.queue.get_nowait()
        except queue.Empty:
            return CMD_NONE, None


# ---------------------------------------------------------------------------------------------
# The job file (PROTOCOL.md): checked field by field so a bad one is named, not a stack trace.


def _need(obj, path, kind):
    parts = path.split(".")
    cur = obj
    for p in parts:
        if not isinstance(cur, dict) or p not in cur:
            raise JobError(f"job file: {path} is missing")
        cur = cur[p]
    ok = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "pos": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "count": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "num": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
        "str": lambda v: isinstance(v, str),
        "obj": lambda v: isinstance(v, dict),
        "bool": lambda v: isinstance(v, bool),
    }[kind]
    if not ok(cur):
        what = {"int": "an integer", "pos": "an integer ≥ 1", "count": "an integer ≥ 0", "num": "a finite number",
                "str": "a string", "obj": "an object", "bool": "true or false"}[kind]
        raise JobError(f"job file: {path} must be {what}, got {json.dumps(cur)[:80]}")
    return cur


def read_job(path):
    try:
        with open(path, encoding="utf-8") as f:
            job = json.load(f)
    except OSError as err:
        raise JobError(f"cannot read the job file {path}: {err.strerror or err}") from err
    except ValueError as err:
        raise JobError(f"the job file {path} is not JSON: {err}") from err
    if not isinstance(job, dict):
        raise JobError("job file: the top level must be an object")
    if job.get("protocolVersion") != PROTOCOL_VERSION:
        raise JobError(f"job file: protocolVersion must be {PROTOCOL_VERSION}, got {job.get('protocolVersion')!r}")
    _need(job, "runId", "str")
    for f in ("vocabSize", "contextLength", "nLayer", "nHead", "nEmbd"):
        _need(job, f"modelConfig.{f}", "pos")
    mc = job["modelConfig"]
    if mc["nEmbd"] % mc["nHead"] != 0:
        raise JobError(f"job file: modelConfig.nHead ({mc['nHead']}) must divide nEmbd ({mc['nEmbd']})")
    for f in ("batchSize", "seqLen", "gradAccumSteps", "steps", "evalBatches", "maxBadSteps", "logEvery"):
        _need(job, f"train.{f}", "pos")
    for f in ("evalEvery", "histogramEvery", "seed"):
        _need(job, f"train.{f}", "count")
    _need(job, "train.clipNorm", "num")
    tc = job["train"]
    if tc["seqLen"] > mc["contextLength"]:
        raise JobError(f"job file: train.seqLen ({tc['seqLen']}) must be ≤ modelConfig.contextLength ({mc['contextLength']})")
    kind = _need(job, "train.optimizer.kind", "str")
    if kind == "adamw":
        for f in ("beta1", "beta2", "eps", "weightDecay"):
            _need(job, f"train.optimizer.{f}", "num")
    elif kind == "sgd":
        for f in ("momentum", "weightDecay"):
            _need(job, f"train.optimizer.{f}", "num")
    else:
        raise JobError(f"job file: train.optimizer.kind must be adamw or sgd, got {kind!r}")
    skind = _need(job, "train.schedule.kind", "str")
    if skind not in ("constant", "linear", "cosine", "step", "inverse-sqrt"):
        raise JobError(f"job file: train.schedule.kind {skind!r} is not constant, linear, cosine, step or inverse-sqrt")
    for f in ("lr", "minLr"):
        _need(job, f"train.schedule.{f}", "num")
    _need(job, "train.schedule.warmupSteps", "count")
    _need(job, "train.schedule.totalSteps", "pos")
    if skind == "step":
        _need(job, "train.schedule.stepSize", "pos")
        _need(job, "train.schedule.gamma", "num")
    es = tc.get("earlyStopping")
    if es is not None:
        _need(job, "train.earlyStopping.patience", "pos")
        _need(job, "train.earlyStopping.minDelta", "num")
    for f in ("train", "val"):
        _need(job, f"tokens.{f}", "str")
    if _need(job, "tokens.dtype", "str") not in ("uint16", "uint32"):
        raise JobError(f"job file: tokens.dtype must be uint16 or uint32, got {job['tokens']['dtype']!r}")
    _need(job, "tokenizer", "obj")
    _need(job, "corpus.sha256", "str")
    device = _need(job, "device", "str")
    if device not in ("cpu", "cuda", "mps"):
        raise JobError(f"job file: device must be cpu, cuda or mps (resolved by the launcher), got {device!r}")
    _need(job, "checkpointDir", "str")
    if job.get("resumeFrom") is not None:
        _need(job, "resumeFrom", "str")
    for f in ("every", "retention.keepLast", "retention.keepEvery"):
        _need(job, f"checkpoints.{f}", "count")
    _need(job, "checkpoints.onBest", "bool")
    _need(job, "checkpoints.retention.keepBest", "bool")
    if job.get("spec") is not None:
        _need(job, "spec", "obj")
    return job


def tokenizer_kind(tok):
    """'byte', 'char' or 'bpe' of a tokenizer.json written by the studio (data/tokenizer-json.ts)."""
    model = tok.get("model") or {}
    pre = tok.get("pre_tokenizer") or {}
    merges = model.get("merges") or []
    if pre.get("type") == "ByteLevel":
        return "byte" if not merges and len(model.get("vocab") or {}) == 256 else "bpe"
    return "char"


def activation_floats(cfg, B, T):
    """model/layout.ts activationLayout + activationGradLayout counts (floats), for engineBytes."""
    V, L, NH, C = cfg["vocabSize"], cfg["nLayer"], cfg["nHead"], cfg["nEmbd"]
    btc, bt, att = B * T * C, B * T, B * NH * T * T
    acts = btc + L * (btc + 2 * bt + 3 * btc + btc) + att + L * att + btc
    acts += L * (btc + btc + 2 * bt + 8 * btc) + btc + L * btc + btc + 2 * bt + B * T * V + bt
    grads = 3 * btc + btc + btc + 8 * btc + btc + btc + btc + 2 * att + 3 * btc + btc
    return acts + grads


# ---------------------------------------------------------------------------------------------
# Environment report (`env`).


def env_report():
    try:
        import numpy
        import torch
        import torch.distributed as dist
    except ImportError as err:
        print(f"cllm_torch: torch or numpy cannot be imported by {sys.executable}: {err}", file=sys.stderr)
        return EXIT_NO_TORCH
    cuda = torch.cuda.is_available()
    devices = []
    if cuda:
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            devices.append({"index": i, "name": p.name, "totalBytes": int(p.total_memory)})
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    report = {
        "python": ".".join(map(str, sys.version_info[:3])),
        "executable": sys.executable,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "cuda": {"available": cuda, "devices": devices},
        "mps": mps,
        "backends": {
            "gloo": bool(dist.is_available() and dist.is_gloo_available()),
            "nccl": bool(dist.is_available() and dist.is_nccl_available()),
        },
    }
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# Training. Everything that needs torch lives below, built once torch is imported.


def build_engine(torch):
    nn = torch.nn
    F = torch.nn.functional

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

    return Gpt


def init_params(model, seed, n_layer):
    """model/gpt.ts init: tensor by tensor in layout order from Rng(seed): N(0, 0.02) for weights
    and embeddings, N(0, 0.02/√(2L)) for the residual projections, zeros for biases, ones/zeros
    for LayerNorm; each draw std·normal() in float64, stored as float32."""
    import numpy as np
    import torch

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


class Session:
    """One rank of one run: the Trainer, the loop around it and the worker's session, together."""

    def __init__(self, job, torch, dist):
        import numpy as np

        self.job = job
        self.torch = torch
        self.dist = dist
        self.np = np
        self.rank = int(os.environ.get("RANK", "0"))
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.out = Outbox(self.rank == 0)
        self.commands = CommandReader(self.rank == 0)
        self.cfg = job["modelConfig"]
        self.tc = job["train"]
        self.step = 0
        self.tokens_seen = 0
        self.optimizer_steps = 0
        self.bad_in_row = 0
        self.early = {"best": math.inf, "bestStep": -1, "badEvals": 0}
        self.state = "preparing"
        self.saved_step = -1
        self.saved_trigger = None
        self.last_eval = None
        self.pending_acks = []
        self.checkpoints = None
        self.stop_requested = False
        self.paused = False
        # Sums, norms and the optimizer's arithmetic are done in float64 as the built-in engine
        # does them; MPS has no float64, so there they are float32 (close, not bitwise).
        self.wide = torch.float32 if job["device"] == "mps" else torch.float64

    # -- setup -------------------------------------------------------------------------------

    def setup(self):
        torch, np, job, tc = self.torch, self.np, self.job, self.tc
        device = job["device"]
        if self.world > 1:
            self.dist.init_process_group(
                "nccl" if device == "cuda" else "gloo",
                rank=self.rank,
                world_size=self.world,
                timeout=datetime.timedelta(seconds=float(job.get("timeoutSeconds") or 60)),
            )
        if device == "cuda":
            # Bitwise resume needs deterministic kernels (embedding backward, cuBLAS workspaces);
            # an op without a deterministic variant warns instead of failing the run.
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.cuda.set_device(self.local_rank)
            self.device = torch.device("cuda", self.local_rank)
        else:
            self.device = torch.device(device)
        B, T = tc["batchSize"], tc["seqLen"]
        if B < self.world:
            raise JobError(
                f"train.batchSize ({B}) is smaller than the {self.world} processes: each process needs at least "
                "one sequence of every batch. Use fewer processes or a larger batch."
            )
        # Contiguous slices of every global batch, sizes differing by at most one.
        base, extra = divmod(B, self.world)
        self.lo = self.rank * base + min(self.rank, extra)
        self.hi = self.lo + base + (1 if self.rank < extra else 0)
        # DDP averages gradients over ranks; scaling each rank's mean loss by world·rows/B makes
        # that average the gradient of the global batch's mean loss, even for uneven slices.
        self.loss_scale = self.world * (self.hi - self.lo) / B

        dtype = np.uint16 if job["tokens"]["dtype"] == "uint16" else np.uint32
        self.train_tokens = self._tokens(job["tokens"]["train"], dtype)
        self.val_tokens = self._tokens(job["tokens"]["val"], dtype)
        V = self.cfg["vocabSize"]
        for split, tokens in (("train", self.train_tokens), ("val", self.val_tokens)):
            if len(tokens) < B * T + 1:
                raise JobError(f"tokens.{split} holds {len(tokens)} tokens; one batch needs B·T + 1 = {B * T + 1}.")
            if int(tokens.max()) >= V:
                raise JobError(f"tokens.{split} holds a token id ≥ modelConfig.vocabSize ({V}).")
        seed = tc["seed"]
        self.sampler = BatchSampler(self.train_tokens, B, T, (seed ^ 0x243F6A88) & M32)
        self.val_starts = fixed_batch_starts(self.val_tokens, B, T, tc["evalBatches"], (seed ^ 0x85A308D3) & M32)
        self.confusion_tokens = most_frequent_tokens(self.val_tokens, V, CONFUSION_TOKENS)
        self.tokens_per_step = B * T * tc["gradAccumSteps"]

        Gpt = build_engine(torch)
        model = Gpt(self.cfg)
        init_params(model, seed, self.cfg["nLayer"])
        self.model = model.to(self.device)
        self.params = list(self.model.named_parameters())
        self.names = [n for n, _ in self.params]
        opt = tc["optimizer"]
        self.moment_names = ["adamw.m", "adamw.v"] if opt["kind"] == "adamw" else ["sgd.momentum"]
        self.moments = [[torch.zeros_like(p) for _, p in self.params] for _ in self.moment_names]
        if job.get("resumeFrom"):
            self._restore(job["resumeFrom"])
        if self.world > 1:
            ids = [self.local_rank] if device == "cuda" else None
            self.ddp = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids, broadcast_buffers=False)
        else:
            self.ddp = self.model
        P = sum(p.numel() for _, p in self.params)
        self.parameter_count = P
        rows = self.hi - self.lo
        self.engine_bytes = 4 * (P * (2 + len(self.moment_names)) + activation_floats(self.cfg, rows, T)) + 8 * rows * T
        if self.rank == 0:
            self.checkpoints = RunCheckpoints(job["checkpointDir"], job["checkpoints"]["retention"], job["runId"], self.step)
        if job.get("resumeFrom"):
            self.saved_step = self.step  # its checkpoint exists: stopping at once writes none again

    def _tokens(self, path, dtype):
        np = self.np
        try:
            size = os.path.getsize(path)
        except OSError as err:
            raise JobError(f"cannot read token file {path}: {err.strerror or err}") from err
        item = np.dtype(dtype).itemsize
        if size == 0 or size % item != 0:
            raise JobError(f"token file {path} has {size} bytes, not a whole number of {np.dtype(dtype).name} ids")
        return np.memmap(path, dtype=np.dtype(dtype).newbyteorder("<"), mode="r")

    def _restore(self, path):
        torch = self.torch
        header, tensors = read_checkpoint(path)
        mc = header.get("modelConfig", {})
        for f in ("vocabSize", "contextLength", "nLayer", "nHead", "nEmbd"):
            if mc.get(f) != self.cfg[f]:
                raise CheckpointError(
                    "CONFIG_MISMATCH", path,
                    f"{path} holds a model with {f} = {mc.get(f)}, but this run has {f} = {self.cfg[f]}.",
                )
        with torch.no_grad():
            for name, p in self.params:
                t = tensors.get("param/" + name)
                if t is None or tuple(t.shape) != tuple(p.shape):
                    raise CheckpointError("CORRUPT_HEADER", path, f"{path} lacks tensor {name} of shape {list(p.shape)}.")
                p.copy_(torch.from_numpy(t.copy()))
            for i, mname in enumerate(self.moment_names):
                for j, (name, p) in enumerate(self.params):
                    t = tensors.get(f"{mname}/{name}")
                    if t is None or tuple(t.shape) != tuple(p.shape):
                        raise CheckpointError(
                            "CORRUPT_HEADER", path,
                            f"{path} lacks optimizer state {mname}/{name}; resume needs a checkpoint written with "
                            "the same optimizer.",
                        )
                    self.moments[i][j].copy_(torch.from_numpy(t.copy()))
        opt = header["optimizer"]
        es = header.get("earlyStopping")
        self.step = header["step"]
        self.tokens_seen = header["tokensSeen"]
        self.optimizer_steps = opt["t"]
        self.bad_in_row = opt.get("badStepsInRow", 0)
        self.sampler.set_state(header["sampler"], path)
        if es is not None:
            self.early = {"best": math.inf if es["best"] is None else es["best"], "bestStep": es["bestStep"],
                          "badEvals": es["badEvals"]}
        self.resumed_backend = header.get("backend")

    # -- the optimizer step (train/trainer.ts trainStep) ------------------------------------------

    def train_step(self, inspect):
        torch, tc = self.torch, self.tc
        started = time.perf_counter()
        K = tc["gradAccumSteps"]
        lr = learning_rate(self.step, tc["schedule"])
        for _, p in self.params:
            p.grad = None
        # The step's loss stays on the device until the all-reduce: no host sync per micro-batch.
        loss_part = torch.zeros((), dtype=self.wide, device=self.device)
        weight = (self.hi - self.lo) / tc["batchSize"] / K
        for k in range(K):
            starts = self.sampler.next_starts()[self.lo : self.hi]
            x, y = windows(self.train_tokens, starts, tc["seqLen"])
            x = torch.from_numpy(x).to(self.device)
            y = torch.from_numpy(y).to(self.device)
            sync = self.world == 1 or k == K - 1
            with contextlib.nullcontext() if sync else self.ddp.no_sync():
                loss = self.ddp(x, y)
                (loss * (self.loss_scale / K)).backward()
            loss_part += loss.detach().to(self.wide) * weight
        command, loss = self.agree(loss_part)
        grads = [p.grad for _, p in self.params]
        squares = torch.stack([g.to(self.wide).pow(2).sum() for g in grads]).tolist()
        norm = math.sqrt(sum(squares))
        if inspect is not None:
            inspect(squares, grads)
        clip = tc["clipNorm"]
        factor = 1.0 if clip <= 0 or not math.isfinite(norm) else min(1.0, clip / (norm + 1e-6))
        skipped = not math.isfinite(loss) or not math.isfinite(norm)
        if skipped:
            self.bad_in_row += 1
        else:
            self.bad_in_row = 0
            self.update(lr, factor)
        self.step += 1
        self.tokens_seen += self.tokens_per_step
        report = {"step": self.step, "loss": loss, "lr": lr, "gradNorm": norm, "clipped": factor != 1.0,
                  "skipped": skipped, "tokens": self.tokens_per_step,
                  "stepMs": (time.perf_counter() - started) * 1000}
        return report, command

    def update(self, lr, factor):
        """math/adamw.ts and sgd.ts element by element in float64 (`self.wide`), stored as
        float32, as the built-in engine computes them: both engines take the same step from the
        same state."""
        torch, opt = self.torch, self.tc["optimizer"]
        self.optimizer_steps += 1
        t = self.optimizer_steps
        with torch.no_grad():
            for j, (_, p) in enumerate(self.params):
                g = p.grad.float()
                if factor != 1.0:
                    g = (g.to(self.wide) * factor).float()
                g = g.to(self.wide)
                pw = p.to(self.wide)
                wd = opt["weightDecay"] if p.dim() == 2 else 0.0
                if opt["kind"] == "adamw":
                    b1, b2 = opt["beta1"], opt["beta2"]
                    m = b1 * self.moments[0][j].to(self.wide) + (1 - b1) * g
                    v = b2 * self.moments[1][j].to(self.wide) + ((1 - b2) * g) * g
                    self.moments[0][j].copy_(m)
                    self.moments[1][j].copy_(v)
                    m_hat = m / (1 - math.pow(b1, t))
                    v_hat = v / (1 - math.pow(b2, t))
                    p.copy_(pw - lr * (m_hat / (v_hat.sqrt() + opt["eps"]) + wd * pw))
                else:
                    buf = opt["momentum"] * self.moments[0][j].to(self.wide) + (g + wd * pw)
                    self.moments[0][j].copy_(buf)
                    p.copy_(pw - lr * buf)

    def agree(self, loss_part, wait=None):
        """The step's one all-reduce: rank 0's pending command (waiting up to `wait` seconds for
        one), any rank's stop signal, and the global mean loss. Returns (command, loss), the same
        on every rank; rank 0 keeps the command's requestId to acknowledge it."""
        code, request_id = self.commands.take(wait) if self.rank == 0 else (CMD_NONE, None)
        self.request_id = request_id
        signalled = 1.0 if self.commands.signalled else 0.0
        torch = self.torch
        t = torch.stack([torch.tensor(float(code), dtype=self.wide, device=self.device),
                         torch.tensor(signalled, dtype=self.wide, device=self.device),
                         torch.as_tensor(loss_part, dtype=self.wide, device=self.device)])
        if self.world > 1:
            self.dist.all_reduce(t)
        code, signalled, loss = (float(v) for v in t.tolist())
        return (CMD_STOP if signalled > 0 else int(code)), loss

    # -- evaluation (train/trainer.ts evaluate) ----------------------------------------------

    def evaluate(self, observe):
        torch, np, tc = self.torch, self.np, self.tc
        V = self.cfg["vocabSize"]
        topk = min(5, V)
        K = len(self.confusion_tokens)
        bucket = torch.full((V,), K, dtype=torch.long, device=self.device)
        for i, tok in enumerate(self.confusion_tokens):
            bucket[tok] = i
        ids = torch.arange(V, device=self.device)
        loss_sum = torch.zeros((), dtype=self.wide, device=self.device)
        correct = torch.zeros((), dtype=self.wide, device=self.device)
        tp = torch.zeros(V, dtype=self.wide, device=self.device)
        pred = torch.zeros(V, dtype=self.wide, device=self.device)
        support = torch.zeros(V, dtype=self.wide, device=self.device)
        confusion = torch.zeros((K + 1) * (K + 1), dtype=self.wide, device=self.device)
        self.model.eval()
        with torch.no_grad():
            for starts in self.val_starts:
                x, y = windows(self.val_tokens, starts[self.lo : self.hi], tc["seqLen"])
                x = torch.from_numpy(x).to(self.device)
                y = torch.from_numpy(y).to(self.device).reshape(-1)
                logits = self.model.logits(x).reshape(-1, V).float()
                loss_sum += torch.nn.functional.cross_entropy(logits, y, reduction="sum").to(self.wide)
                probs = torch.softmax(logits, dim=-1)
                probs = torch.nan_to_num(probs, nan=-math.inf)
                pt = probs.gather(1, y[:, None])
                ahead = (probs > pt).sum(1) + ((probs == pt) & (ids[None, :] < y[:, None])).sum(1)
                correct += (ahead < topk).sum().to(self.wide)
                best = probs.argmax(1)
                ones = torch.ones_like(y, dtype=self.wide)
                support.index_add_(0, y, ones)
                pred.index_add_(0, best, ones)
                tp.index_add_(0, y, (best == y).to(self.wide))
                confusion.index_add_(0, bucket[y] * (K + 1) + bucket[best], ones)
        self.model.train()
        packed = torch.cat([loss_sum[None], correct[None], tp, pred, support, confusion])
        if self.world > 1:
            self.dist.all_reduce(packed)
        packed = packed.cpu().numpy()
        rows = len(self.val_starts) * tc["batchSize"] * tc["seqLen"]
        val_loss = float(packed[0]) / rows
        tp_, pred_, sup_ = packed[2 : 2 + V], packed[2 + V : 2 + 2 * V], packed[2 + 2 * V : 2 + 3 * V]
        scores = classification_scores(float(packed[1]), tp_, pred_, sup_, rows)
        improved = stop = False
        if observe:
            es_cfg = tc.get("earlyStopping")
            min_delta = es_cfg["minDelta"] if es_cfg else 0.0
            improved = math.isfinite(val_loss) and val_loss < self.early["best"] - min_delta
            if improved:
                self.early = {"best": val_loss, "bestStep": self.step, "badEvals": 0}
            else:
                self.early = dict(self.early, badEvals=self.early["badEvals"] + 1)
            stop = es_cfg is not None and self.early["badEvals"] >= es_cfg["patience"]
        try:
            ppl = math.exp(val_loss)
        except OverflowError:
            ppl = math.inf
        event = {
            "kind": "eval",
            "step": self.step,
            "valLoss": val_loss,
            "perplexity": ppl,
            "accuracy": scores["accuracy"],
            "top5": scores["top5"],
            "f1Macro": scores["f1Macro"],
            "f1Micro": scores["f1Micro"],
            "f1Weighted": scores["f1Weighted"],
            "precisionMacro": scores["precisionMacro"],
            "recallMacro": scores["recallMacro"],
            "confusion": {
                "tokens": list(self.confusion_tokens),
                "counts": [float(c) for c in packed[2 + 3 * V :]],
                "size": K + 1,
            },
            "best": improved,
        }
        return event, stop

    # -- checkpoints (train/checkpointing.ts trainerHeader / trainerTensors) ---------------------

    def header(self, val_loss, finite):
        job, tc = self.job, self.tc
        es = self.early
        epoch = self.tokens_seen / (self.sampler.batches_per_epoch * tc["batchSize"] * tc["seqLen"])
        spec = job.get("spec")
        train_config = {"corpusSha256": job["corpus"]["sha256"], "runId": job["runId"]}
        if spec is not None:
            train_config = {"spec": spec, **train_config}
        sampler = self.sampler.get_state()
        device = job["device"]
        return json_safe(
            {
                "modelConfig": dict(self.cfg),
                "trainConfig": train_config,
                "tokenizer": job["tokenizer"],
                "step": self.step,
                "epoch": epoch,
                "tokensSeen": self.tokens_seen,
                "optimizer": {"kind": tc["optimizer"]["kind"], "t": self.optimizer_steps,
                              "badStepsInRow": self.bad_in_row},
                "schedule": {"kind": tc["schedule"]["kind"], "nextStep": self.step,
                             "nextLr": learning_rate(self.step, tc["schedule"])},
                "sampler": sampler,
                "rng": {"sampler": sampler["rng"]},
                "earlyStopping": dict(es),
                "bestMetric": {"name": "val_loss", "value": es["best"], "step": es["bestStep"]}
                if es["bestStep"] >= 0 else None,
                "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "appVersion": str(job.get("appVersion", "unknown")),
                "backend": {"name": "pytorch",
                            "kernelPath": f"torch-{self.torch.__version__}-{device}-{self.world}x"},
                "metrics": {"valLoss": val_loss if val_loss is not None and math.isfinite(val_loss) else None,
                            "finite": finite},
            }
        )

    def save(self, trigger):
        """Writes this step's checkpoint (rank 0; the others have the same state and go on)."""
        self.saved_step = self.step
        self.saved_trigger = trigger
        if self.rank != 0:
            return
        torch = self.torch
        last = self.last_eval
        val_loss = last["valLoss"] if last is not None and last["step"] == self.step else None
        if val_loss is not None and not math.isfinite(val_loss):
            val_loss = None
        with torch.no_grad():
            finite = all(bool(torch.isfinite(p).all()) for _, p in self.params)
        tensors = [("param/" + n, tuple(p.shape), p.detach().cpu().numpy()) for n, p in self.params]
        for i, mname in enumerate(self.moment_names):
            for j, (n, p) in enumerate(self.params):
                tensors.append((f"{mname}/{n}", tuple(p.shape), self.moments[i][j].cpu().numpy()))
        saved, removed = self.checkpoints.save(self.step, self.header(val_loss, finite), tensors, val_loss, finite)
        self.out.post({"type": "checkpoint-written", "checkpoint": saved, "trigger": trigger, "removed": removed})

    # -- states and commands (worker.ts TrainingSession) -------------------------------------

    def set_state(self, state, acks=None):
        self.state = state
        self.post_state(acks if acks is not None else self.take_acks())

    def post_state(self, acks):
        self.out.post({"type": "state", "state": self.state, "step": self.step, "acks": acks})

    def take_acks(self):
        acks, self.pending_acks = self.pending_acks, []
        return acks

    def ack(self, request_id):
        if request_id is not None:
            self.pending_acks.append(request_id)

    def obey(self, code):
        """Acts on the command every rank agreed on at the end of the last step (or poll)."""
        rid = self.request_id
        if code == CMD_STOP:
            self.ack(rid)
            self.stop_requested = True
            self.set_state("stopping")
        elif code == CMD_CHECKPOINT:
            self.ack(rid)
            if self.saved_step != self.step:
                self.save("manual")
            self.post_state(self.take_acks())
        elif code == CMD_RESUME:
            self.ack(rid)
            self.post_state(self.take_acks())  # not paused: nothing changes, but it is answered
        elif code == CMD_PAUSE:
            self.ack(rid)
            self.pause()

    def pause(self):
        # Pausing writes a checkpoint, so a pause outlives the app: after a restart it resumes here.
        if self.saved_step != self.step:
            self.save("pause")
        self.set_state("paused")
        while True:
            code, _ = self.poll()
            if code == CMD_RESUME:
                self.ack(self.request_id)
                self.set_state("running")
                return
            if code == CMD_STOP:
                self.ack(self.request_id)
                self.stop_requested = True
                self.set_state("stopping")
                return
            if code == CMD_PAUSE:
                self.ack(self.request_id)
                self.post_state(self.take_acks())
            elif code == CMD_CHECKPOINT:
                self.ack(self.request_id)
                self.post_state(self.take_acks())  # the pause's checkpoint is this step's already

    def poll(self):
        """While paused every rank meets in an all-reduce a few times a second (a wait longer than
        the process-group timeout would otherwise end the run); rank 0 brings any command."""
        code, _ = self.agree(0.0, wait=0.25)
        return code, None

    # -- the loop (train/loop.ts runTraining) ------------------------------------------------

    def run(self, resumed_from):
        torch, tc = self.torch, self.tc
        self.out.post({"type": "state", "state": "preparing", "step": 0, "acks": []})
        self.setup()
        tok = self.job["tokenizer"]
        vocab = self.cfg["vocabSize"]
        self.out.post(
            {
                "type": "started",
                "info": {
                    "step": self.step,
                    "totalSteps": tc["steps"],
                    "resumedFrom": resumed_from,
                    "modelConfig": dict(self.cfg),
                    "parameters": self.parameter_count,
                    "trainTokens": len(self.train_tokens),
                    "valTokens": len(self.val_tokens),
                    "corpus": self.job["corpus"],
                    "tokenizer": {"kind": tokenizer_kind(tok), "vocabSize": vocab},
                    "engineBytes": self.engine_bytes,
                },
            }
        )
        self.set_state("running")
        started = time.perf_counter()
        start_tokens = self.tokens_seen
        eta = Eta(0.9)
        loss_ema = Ema(0.9)
        detector = GradientAlertDetector(self.names)
        layer_of = [int(n.split(".")[2]) if n.startswith("transformer.h.") else None for n in self.names]
        window_loss, window_steps, last_window = 0.0, 0, math.nan
        reason, message = "completed", f"Trained {tc['steps']} steps."
        steps = tc["steps"]
        self.request_id = None
        command, _ = self.agree(0.0)

        def alert(step, level, code, msg, value=None, tensor=None):
            a = {"kind": "alert", "step": step, "level": level, "code": code, "message": msg}
            if tensor is not None:
                a["tensor"] = tensor
            if value is not None:
                a["value"] = value
            self.out.push(a)

        def run_eval(scheduled):
            nonlocal reason, message
            event, stop = self.evaluate(scheduled)
            self.out.push(event)
            self.last_eval = event
            if stop:
                es = tc["earlyStopping"]
                reason = "early-stopped"
                message = (
                    f"Stopped early at step {self.step}: validation loss did not improve by more than "
                    f"{js_number(es['minDelta'])} for {es['patience']} evaluations "
                    f"(best {self.early['best']:.4f} at step {self.early['bestStep']})."
                )

        while True:
            self.obey(command)
            if self.stop_requested:
                if self.step < steps:
                    reason, message = "stopped", f"Stopped by request at step {self.step}."
                break
            if self.step >= steps:
                break
            log_now = (self.step + 1) % tc["logEvery"] == 0 or self.step + 1 == steps
            hist_now = tc["histogramEvery"] > 0 and (self.step + 1) % tc["histogramEvery"] == 0
            seen = {}

            def inspect(squares, grads):
                seen["norms"] = [math.sqrt(s) for s in squares]
                seen["global"] = math.sqrt(sum(squares))
                if hist_now:
                    seen["hist"] = histogram(torch.cat([g.reshape(-1) for g in grads]).float().cpu().numpy())

            r, command = self.train_step(inspect if (log_now or hist_now) else None)
            eta.observe(r["stepMs"] / 1000, r["tokens"])
            if math.isfinite(r["loss"]):
                loss_ema.update(r["loss"])
                window_loss += r["loss"]
                window_steps += 1
            if r["skipped"]:
                what = "gradient norm" if math.isfinite(r["loss"]) else "loss"
                alert(r["step"], "warning", "skipped-step",
                      f"Step {r['step']} skipped: the {what} is not finite ({self.bad_in_row} in a row; the run "
                      f"halts at {tc['maxBadSteps']}).",
                      value=r["gradNorm"] if math.isfinite(r["loss"]) else r["loss"])
                if self.bad_in_row >= tc["maxBadSteps"]:
                    reason = "halted"
                    message = (
                        f"Halted at step {r['step']}: {self.bad_in_row} steps in a row had a non-finite loss or "
                        "gradient. Lower the learning rate, enable gradient clipping, or check the data."
                    )
                    alert(r["step"], "error", "halted", message)
                    break
            if log_now:
                norms = seen["norms"]
                layers = [0.0] * self.cfg["nLayer"]
                for n, layer in zip(norms, layer_of):
                    if layer is not None:
                        layers[layer] += n * n
                self.out.push({"kind": "gradients", "step": r["step"], "globalNorm": seen["global"],
                               "tensors": [{"name": n, "norm": v} for n, v in zip(self.names, norms)],
                               "layers": [math.sqrt(s) for s in layers]})
                for a in detector.check(r["step"], r["gradNorm"], norms):
                    alert(r["step"], "warning" if a["kind"] == "vanishing" else "error", a["kind"], a["message"],
                          value=a["value"], tensor=a.get("tensor"))
                memory = {"rss": process_rss(), "heapUsed": 0, "heapTotal": 0, "external": 0, "arrayBuffers": 0,
                          "engineBuffers": self.engine_bytes}
                if self.device.type == "cuda":
                    memory["deviceBytes"] = int(torch.cuda.memory_allocated(self.device))
                    memory["deviceTotalBytes"] = int(torch.cuda.get_device_properties(self.device).total_memory)
                elif self.device.type == "mps" and hasattr(torch, "mps"):
                    memory["deviceBytes"] = int(torch.mps.current_allocated_memory())
                epoch = self.tokens_seen / (self.sampler.batches_per_epoch * tc["batchSize"] * tc["seqLen"])
                self.out.push({"kind": "progress", "step": r["step"], "totalSteps": steps, "epoch": epoch,
                               "percent": 100 * r["step"] / steps, "etaSeconds": eta.eta_seconds(r["step"], steps),
                               "tokensSeen": self.tokens_seen, "tokensPerSecond": eta.tokens_per_second(),
                               "stepMs": r["stepMs"], "lr": r["lr"], "loss": r["loss"],
                               "lossEma": loss_ema.debiased, "gradNorm": r["gradNorm"], "clipped": r["clipped"],
                               "memory": memory})
                last_window = window_loss / window_steps if window_steps > 0 else math.nan
                window_loss, window_steps = 0.0, 0
            if hist_now:
                weights = torch.cat([p.detach().reshape(-1) for _, p in self.params]).float().cpu().numpy()
                self.out.push({"kind": "histogram", "step": r["step"], "gradients": seen["hist"],
                               "weights": histogram(weights)})
            if (tc["evalEvery"] > 0 and r["step"] % tc["evalEvery"] == 0) or r["step"] == steps:
                run_eval(True)
                evaluation = self.last_eval
            else:
                evaluation = None
            policy = self.job["checkpoints"]
            periodic = policy["every"] > 0 and r["step"] % policy["every"] == 0
            best = policy["onBest"] and evaluation is not None and evaluation["best"]
            if periodic or best:
                self.save("periodic" if periodic else "best")
            if reason == "early-stopped":
                break

        if reason != "halted" and (self.last_eval is None or self.last_eval["step"] != self.step):
            run_eval(False)
        scheduled_here = self.saved_trigger in ("periodic", "best")
        if self.saved_step != self.step or scheduled_here:
            self.save("stop" if reason == "stopped" else "final")
        seconds = time.perf_counter() - started
        done = {
            "kind": "done",
            "reason": reason,
            "message": message,
            "step": self.step,
            "trainLoss": window_loss / window_steps if window_steps > 0 else last_window,
            "valLoss": self.last_eval["valLoss"] if self.last_eval is not None else math.nan,
            "bestValLoss": self.early["best"],
            "tokensPerSecond": (self.tokens_seen - start_tokens) / seconds if seconds > 0 else math.nan,
            "seconds": seconds,
        }
        self.out.post({"type": "stopped", "done": done})


def heartbeat(session, stop_event):
    """Rank 0's clock: flushes batched training events every flushMs and posts a heartbeat every
    heartbeatMs, whatever the training loop is doing."""
    flush_s = max(0.01, float(session.job.get("flushMs", 250)) / 1000)
    beat_s = max(0.05, float(session.job.get("heartbeatMs", 2000)) / 1000)
    next_beat = time.monotonic() + beat_s
    while not stop_event.wait(flush_s):
        session.out.flush()
        if time.monotonic() >= next_beat:
            next_beat += beat_s
            session.out.post({"type": "heartbeat", "step": session.step})


def train_main(job_path):
    rank = int(os.environ.get("RANK", "0"))
    try:
        job = read_job(job_path)
    except JobError as err:
        print(f"cllm_torch: {err}", file=sys.stderr, flush=True)
        return EXIT_BAD_JOB
    try:
        import torch
        import torch.distributed as dist
    except ImportError as err:
        print(f"cllm_torch: torch cannot be imported by {sys.executable}: {err}", file=sys.stderr, flush=True)
        return EXIT_NO_TORCH
    session = Session(job, torch, dist)
    session.out.post({"type": "ready", "protocolVersion": PROTOCOL_VERSION, "threadId": os.getpid()})

    def on_sigterm(signum, frame):
        session.commands.signalled = True  # the next step's all-reduce tells every rank: save and stop

    signal.signal(signal.SIGTERM, on_sigterm)
    stop_clock = threading.Event()
    if rank == 0:
        threading.Thread(target=heartbeat, args=(session, stop_clock), name="heartbeat", daemon=True).start()
    code = EXIT_OK
    try:
        session.run(job.get("resumeFrom"))
    except JobError as err:
        session.out.post({"type": "error", "requestId": None, "fatal": True, "error": serialize_error(err)})
        print(f"cllm_torch: rank {rank}: {err}", file=sys.stderr, flush=True)
        code = EXIT_BAD_JOB
    except Exception as err:  # noqa: BLE001  (every failure is reported, then the process exits 1)
        session.out.post({"type": "error", "requestId": None, "fatal": True, "error": serialize_error(err)})
        print(f"cllm_torch: rank {rank} failed: {err}", file=sys.stderr, flush=True)
        traceback.print_exc(file=sys.stderr)
        code = EXIT_FAILED
    stop_clock.set()
    session.out.flush()
    if code == EXIT_OK and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    # A failed collective can leave gloo threads that would keep the process alive: leave at once.
    os._exit(code)


def inspect_main(job_path, batches, params_out):
    """One JSON line {train: [[inputs, targets] × N], val: [...]} of a single process's batches,
    and the seeded initial weights in layout order (raw little-endian float32) into params_out."""
    import numpy as np

    job = read_job(job_path)
    tc, cfg = job["train"], job["modelConfig"]
    B, T, seed = tc["batchSize"], tc["seqLen"], tc["seed"]
    dtype = np.uint16 if job["tokens"]["dtype"] == "uint16" else np.uint32
    train = np.memmap(job["tokens"]["train"], dtype=dtype, mode="r")
    val = np.memmap(job["tokens"]["val"], dtype=dtype, mode="r")
    sampler = BatchSampler(train, B, T, (seed ^ 0x243F6A88) & M32)

    def pair(tokens, starts):
        x, y = windows(tokens, starts, T)
        return [x.reshape(-1).tolist(), y.reshape(-1).tolist()]

    report = {
        "train": [pair(train, sampler.next_starts()) for _ in range(batches)],
        "val": [pair(val, s) for s in fixed_batch_starts(val, B, T, tc["evalBatches"], (seed ^ 0x85A308D3) & M32)],
    }
    if params_out:
        import torch

        model = build_engine(torch)(cfg)
        init_params(model, seed, cfg["nLayer"])
        with open(params_out, "wb") as f:
            for _, p in model.named_parameters():
                f.write(p.detach().numpy().astype("<f4").tobytes())
    sys.stdout.write(json.dumps(report) + "\n")
    return EXIT_OK


def main(argv):
    parser = argparse.ArgumentParser(prog="cllm_torch.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("env", help="print the Python/torch environment as one JSON line")
    train = sub.add_parser("train", help="train one rank of a run described by a job file")
    train.add_argument("--job", required=True, help="the job file the launcher wrote")
    inspect = sub.add_parser("inspect", help="print a run's first batches; write its initial weights")
    inspect.add_argument("--job", required=True)
    inspect.add_argument("--batches", type=int, default=2)
    inspect.add_argument("--params-out", default=None)
    args = parser.parse_args(argv)
    if args.command == "env":
        return env_report()
    if args.command == "inspect":
        try:
            return inspect_main(args.job, args.batches, args.params_out)
        except JobError as err:
            print(f"cllm_torch: {err}", file=sys.stderr)
            return EXIT_BAD_JOB
    return train_main(args.job)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
