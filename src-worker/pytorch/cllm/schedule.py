"""Learning-rate schedules: src-worker/train/schedules.ts (s = the 0-based step about to be taken)."""

import math

from .errors import JobError


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
