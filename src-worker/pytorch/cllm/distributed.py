"""Ranks (torch.distributed): which process this is, the process group, each rank's slice of a
global batch and the sum over ranks. With WORLD_SIZE 1 there is no process group at all."""

import datetime
import os

import torch.distributed as dist

from .errors import JobError


def rank_of_env():
    """(rank, world size, local rank) as the launcher sets them, one process by default."""
    env = os.environ
    return int(env.get("RANK", "0")), int(env.get("WORLD_SIZE", "1")), int(env.get("LOCAL_RANK", "0"))


def init_process_group(device, rank, world, timeout_seconds):
    """Joins the run's process group: NCCL on CUDA, gloo otherwise."""
    # NCCL honours the time-out only with asynchronous error handling: without it a dead
    # peer leaves the others blocked in a collective for ever (older and newer names).
    os.environ.setdefault("NCCL_ASYNC_ERROR_HANDLING", "1")
    os.environ.setdefault("TORCH_NCCL_ASYNC_ERROR_HANDLING", "1")
    dist.init_process_group(
        "nccl" if device == "cuda" else "gloo",
        rank=rank,
        world_size=world,
        timeout=datetime.timedelta(seconds=timeout_seconds),
    )


def batch_slice(B, rank, world):
    """Rank `rank`'s rows [lo, hi) of every global batch of B: contiguous slices whose sizes
    differ by at most one."""
    if B < world:
        raise JobError(
            f"train.batchSize ({B}) is smaller than the {world} processes: each process needs at least "
            "one sequence of every batch. Use fewer processes or a larger batch."
        )
    base, extra = divmod(B, world)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


def sum_over_ranks(tensor, world):
    """Sums `tensor` in place over every rank (nothing to do for one)."""
    if world > 1:
        dist.all_reduce(tensor)
    return tensor


def leave_process_group():
    """Leaves the process group if this process joined one (after a clean run only)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
