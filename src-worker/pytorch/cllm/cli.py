"""The subcommands the launcher and the tests run (see ../cllm_torch.py): `env`, `train` and
`inspect`. Torch, numpy and the modules that need them are imported only by the command that uses
them, after the job file is read and torch is found, so that each failure has its own exit code."""

import argparse
import json
import os
import signal
import sys
import threading
import time
import traceback

from . import __doc__ as ENGINE_DOC
from .errors import EXIT_BAD_JOB, EXIT_FAILED, EXIT_NO_TORCH, EXIT_OK, JobError
from .job import read_job
from .protocol import PROTOCOL_VERSION, serialize_error


def env_report():
    try:
        import numpy
        import torch
        import torch.distributed as dist
    except ImportError as err:
        print(f"cllm_torch: torch or numpy cannot be imported by {sys.executable}: {err}", file=sys.stderr)
        return EXIT_NO_TORCH
    cuda = torch.cuda.is_available()
    # Device names, one per CUDA device in index order (what the studio's Compute card shows).
    devices = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []
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
        import torch  # noqa: F401  (imported here only to tell a missing torch from a failure)
        import torch.distributed  # noqa: F401
    except ImportError as err:
        print(f"cllm_torch: torch cannot be imported by {sys.executable}: {err}", file=sys.stderr, flush=True)
        return EXIT_NO_TORCH
    from . import distributed
    from .loop import run_training
    from .session import Session

    session = Session(job)
    session.out.post({"type": "ready", "protocolVersion": PROTOCOL_VERSION, "threadId": os.getpid()})

    def on_sigterm(signum, frame):
        session.commands.signalled = True  # the next step's all-reduce tells every rank: save and stop

    signal.signal(signal.SIGTERM, on_sigterm)
    stop_clock = threading.Event()
    if rank == 0:
        threading.Thread(target=heartbeat, args=(session, stop_clock), name="heartbeat", daemon=True).start()
    code = EXIT_OK
    try:
        run_training(session, job.get("resumeFrom"))
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
    if code == EXIT_OK:
        distributed.leave_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    # A failed collective can leave gloo threads that would keep the process alive: leave at once.
    os._exit(code)


def inspect_main(job_path, batches, params_out):
    """One JSON line {train: [[inputs, targets] × N], val: [...]} of a single process's batches,
    and the seeded initial weights in layout order (raw little-endian float32) into params_out."""
    import numpy as np

    from .data import token_dtype, train_sampler, val_batch_starts, windows

    job = read_job(job_path)
    tc, cfg = job["train"], job["modelConfig"]
    B, T, seed = tc["batchSize"], tc["seqLen"], tc["seed"]
    dtype = token_dtype(job)
    train = np.memmap(job["tokens"]["train"], dtype=dtype, mode="r")
    val = np.memmap(job["tokens"]["val"], dtype=dtype, mode="r")
    sampler = train_sampler(train, B, T, seed)

    def pair(tokens, starts):
        x, y = windows(tokens, starts, T)
        return [x.reshape(-1).tolist(), y.reshape(-1).tolist()]

    report = {
        "train": [pair(train, sampler.next_starts()) for _ in range(batches)],
        "val": [pair(val, s) for s in val_batch_starts(val, B, T, tc["evalBatches"], seed)],
    }
    if params_out:
        from .model import Gpt, init_params

        model = Gpt(cfg)
        init_params(model, seed, cfg["nLayer"])
        with open(params_out, "wb") as f:
            for _, p in model.named_parameters():
                f.write(p.detach().numpy().astype("<f4").tobytes())
    sys.stdout.write(json.dumps(report) + "\n")
    return EXIT_OK


def main(argv):
    parser = argparse.ArgumentParser(prog="cllm_torch.py", description=ENGINE_DOC.split("\n\n")[0])
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

