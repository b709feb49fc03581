"""The optimizer: math/adamw.ts and sgd.ts element by element in float64 (`wide`), stored as
float32, as the built-in engine computes them: both engines take the same step from the same
state. The moments live in plain tensors named as the checkpoint names them."""

import math

import torch


def moment_names(opt):
    """The optimizer state tensors' checkpoint prefixes, in the order `update` reads them."""
    return ["adamw.m", "adamw.v"] if opt["kind"] == "adamw" else ["sgd.momentum"]


def update(params, moments, opt, lr, factor, t, wide):
    """One step of `opt` (the job's train.optimizer) on the (name, parameter) list `params` with
    their gradients scaled by the clip `factor`; `moments[i][j]` is moment i of parameter j and `t`
    the 1-based optimizer step (AdamW's bias correction)."""
    with torch.no_grad():
        for j, (_, p) in enumerate(params):
            g = p.grad.float()
            if factor != 1.0:
                g = (g.to(wide) * factor).float()
            g = g.to(wide)
            pw = p.to(wide)
            wd = opt["weightDecay"] if p.dim() == 2 else 0.0
            if opt["kind"] == "adamw":
                b1, b2 = opt["beta1"], opt["beta2"]
                m = b1 * moments[0][j].to(wide) + (1 - b1) * g
                v = b2 * moments[1][j].to(wide) + ((1 - b2) * g) * g
                moments[0][j].copy_(m)
                moments[1][j].copy_(v)
                m_hat = m / (1 - math.pow(b1, t))
                v_hat = v / (1 - math.pow(b2, t))
                p.copy_(pw - lr * (m_hat / (v_hat.sqrt() + opt["eps"]) + wd * pw))
            else:
                buf = opt["momentum"] * moments[0][j].to(wide) + (g + wd * pw)
                moments[0][j].copy_(buf)
                p.copy_(pw - lr * buf)
