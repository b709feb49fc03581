"""Metrics: src-worker/metrics (EMA, ETA, gradient alerts, histograms, classification) and the
process's memory, computed as the built-in engine computes them so the charts mean the same."""

import math
import os
import sys

import numpy as np


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
    counts = np.bincount(np.asarray(tokens, dtype=np.int64), minlength=V)
    ids = [i for i in range(V) if counts[i] > 0]
    ids.sort(key=lambda i: (-int(counts[i]), i))
    return ids[:K]


def classification_scores(correct_at_k, tp, predicted, support, rows):
    """Accuracy, top-k and the precision/recall/F1 averages of metrics/classification.ts."""
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
    """Resident set size in bytes: /proc on Linux, the peak from getrusage elsewhere on Unix, and
    0 where neither exists (Windows)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
