"""The training loop (train/loop.ts runTraining): steps, the events of each (progress, gradients,
histograms, alerts), evaluations and scheduled checkpoints, until the run completes, stops early,
is stopped or halts; then the last evaluation, the last checkpoint and the `stopped` event."""

import math
import time

import torch

from .job import tokenizer_kind
from .metrics import Ema, Eta, GradientAlertDetector, histogram, js_number, process_rss


def run_training(session, resumed_from):
    """Trains to the end, a stop or a halt, posting every event; the worker's runTraining."""
    tc = session.tc
    session.out.post({"type": "state", "state": "preparing", "step": 0, "acks": []})
    session.setup()
    tok = session.job["tokenizer"]
    vocab = session.cfg["vocabSize"]
    session.out.post(
        {
            "type": "started",
            "info": {
                "step": session.step,
                "totalSteps": tc["steps"],
                "resumedFrom": resumed_from,
                "modelConfig": dict(session.cfg),
                "parameters": session.parameter_count,
                "trainTokens": len(session.train_tokens),
                "valTokens": len(session.val_tokens),
                "corpus": session.job["corpus"],
                "tokenizer": {"kind": tokenizer_kind(tok), "vocabSize": vocab},
                "engineBytes": session.engine_bytes,
            },
        }
    )
    session.set_state("running")
    started = time.perf_counter()
    start_tokens = session.tokens_seen
    eta = Eta(0.9)
    loss_ema = Ema(0.9)
    detector = GradientAlertDetector(session.names)
    layer_of = [int(n.split(".")[2]) if n.startswith("transformer.h.") else None for n in session.names]
    window_loss, window_steps, last_window = 0.0, 0, math.nan
    reason, message = "completed", f"Trained {tc['steps']} steps."
    steps = tc["steps"]
    session.request_id = None
    command, _ = session.agree(0.0)

    def alert(step, level, code, msg, value=None, tensor=None):
        a = {"kind": "alert", "step": step, "level": level, "code": code, "message": msg}
        if tensor is not None:
            a["tensor"] = tensor
        if value is not None:
            a["value"] = value
        session.out.push(a)

    def run_eval(scheduled):
        nonlocal reason, message
        event, stop = session.evaluate(scheduled)
        session.out.push(event)
        session.last_eval = event
        if stop:
            es = tc["earlyStopping"]
            reason = "early-stopped"
            message = (
                f"Stopped early at step {session.step}: validation loss did not improve by more than "
                f"{js_number(es['minDelta'])} for {es['patience']} evaluations "
                f"(best {session.early['best']:.4f} at step {session.early['bestStep']})."
            )

    while True:
        session.obey(command)
        if session.stop_requested:
            if session.step < steps:
                reason, message = "stopped", f"Stopped by request at step {session.step}."
            break
        if session.step >= steps:
            break
        log_now = (session.step + 1) % tc["logEvery"] == 0 or session.step + 1 == steps
        hist_now = tc["histogramEvery"] > 0 and (session.step + 1) % tc["histogramEvery"] == 0
        seen = {}

        def inspect(squares, grads):
            seen["norms"] = [math.sqrt(s) for s in squares]
            seen["global"] = math.sqrt(sum(squares))
            if hist_now:
                seen["hist"] = histogram(torch.cat([g.reshape(-1) for g in grads]).float().cpu().numpy())

        r, command = session.train_step(inspect if (log_now or hist_now) else None)
        eta.observe(r["stepMs"] / 1000, r["tokens"])
        if math.isfinite(r["loss"]):
            loss_ema.update(r["loss"])
            window_loss += r["loss"]
            window_steps += 1
        if r["skipped"]:
            what = "gradient norm" if math.isfinite(r["loss"]) else "loss"
            alert(r["step"], "warning", "skipped-step",
                  f"Step {r['step']} skipped: the {what} is not finite ({session.bad_in_row} in a row; the run "
                  f"halts at {tc['maxBadSteps']}).",
                  value=r["gradNorm"] if math.isfinite(r["loss"]) else r["loss"])
            if session.bad_in_row >= tc["maxBadSteps"]:
                reason = "halted"
                message = (
                    f"Halted at step {r['step']}: {session.bad_in_row} steps in a row had a non-finite loss or "
                    "gradient. Lower the learning rate, enable gradient clipping, or check the data."
                )
                alert(r["step"], "error", "halted", message)
                break
        if log_now:
            norms = seen["norms"]
            layers = [0.0] * session.cfg["nLayer"]
            for n, layer in zip(norms, layer_of):
                if layer is not None:
                    layers[layer] += n * n
            session.out.push({"kind": "gradients", "step": r["step"], "globalNorm": seen["global"],
                           "tensors": [{"name": n, "norm": v} for n, v in zip(session.names, norms)],
                           "layers": [math.sqrt(s) for s in layers]})
            for a in detector.check(r["step"], r["gradNorm"], norms):
                alert(r["step"], "warning" if a["kind"] == "vanishing" else "error", a["kind"], a["message"],
                      value=a["value"], tensor=a.get("tensor"))
            memory = {"rss": process_rss(), "heapUsed": 0, "heapTotal": 0, "external": 0, "arrayBuffers": 0,
                      "engineBuffers": session.engine_bytes}
            if session.device.type == "cuda":
                memory["deviceBytes"] = int(torch.cuda.memory_allocated(session.device))
                memory["deviceTotalBytes"] = int(torch.cuda.get_device_properties(session.device).total_memory)
            elif session.device.type == "mps" and hasattr(torch, "mps"):
                memory["deviceBytes"] = int(torch.mps.current_allocated_memory())
            session.out.push({"kind": "progress", "step": r["step"], "totalSteps": steps, "epoch": session.epoch(),
                           "percent": 100 * r["step"] / steps, "etaSeconds": eta.eta_seconds(r["step"], steps),
                           "tokensSeen": session.tokens_seen, "tokensPerSecond": eta.tokens_per_second(),
                           "stepMs": r["stepMs"], "lr": r["lr"], "loss": r["loss"],
                           "lossEma": loss_ema.debiased, "gradNorm": r["gradNorm"], "clipped": r["clipped"],
                           "memory": memory})
            last_window = window_loss / window_steps if window_steps > 0 else math.nan
            window_loss, window_steps = 0.0, 0
        if hist_now:
            weights = torch.cat([p.detach().reshape(-1) for _, p in session.params]).float().cpu().numpy()
            session.out.push({"kind": "histogram", "step": r["step"], "gradients": seen["hist"],
                           "weights": histogram(weights)})
        if (tc["evalEvery"] > 0 and r["step"] % tc["evalEvery"] == 0) or r["step"] == steps:
            run_eval(True)
            evaluation = session.last_eval
        else:
            evaluation = None
        policy = session.job["checkpoints"]
        periodic = policy["every"] > 0 and r["step"] % policy["every"] == 0
        best = policy["onBest"] and evaluation is not None and evaluation["best"]
        if periodic or best:
            session.save("periodic" if periodic else "best")
        if reason == "early-stopped":
            break

    if reason != "halted" and (session.last_eval is None or session.last_eval["step"] != session.step):
        run_eval(False)
    scheduled_here = session.saved_trigger in ("periodic", "best")
    if session.saved_step != session.step or scheduled_here:
        session.save("stop" if reason == "stopped" else "final")
    seconds = time.perf_counter() - started
    done = {
        "kind": "done",
        "reason": reason,
        "message": message,
        "step": session.step,
        "trainLoss": window_loss / window_steps if window_steps > 0 else last_window,
        "valLoss": session.last_eval["valLoss"] if session.last_eval is not None else math.nan,
        "bestValLoss": session.early["best"],
        "tokensPerSecond": (session.tokens_seen - start_tokens) / seconds if seconds > 0 else math.nan,
        "seconds": seconds,
    }
    session.out.post({"type": "stopped", "done": done})
