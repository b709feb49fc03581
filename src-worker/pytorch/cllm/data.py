"""Token files and batches: src-worker/data/sampler.ts. Windows of T+1 tokens at uniformly random
starts, drawn by a seeded Rng so that a seed gives the built-in engine's batches."""

import os

import numpy as np

from .errors import CheckpointError, JobError
from .rng import M32, Rng

# The sampler seeds derived from the run's seed, as train/trainer.ts derives them: one stream for the
# training batches, another for the fixed validation batches.
TRAIN_SEED_SALT = 0x243F6A88
VAL_SEED_SALT = 0x85A308D3


def token_dtype(job):
    """The numpy dtype of the job's token files (tokens.dtype: uint16 or uint32)."""
    return np.uint16 if job["tokens"]["dtype"] == "uint16" else np.uint32


def read_tokens(path, dtype):
    """A token file as a read-only little-endian array, refused unless it holds whole ids."""
    try:
        size = os.path.getsize(path)
    except OSError as err:
        raise JobError(f"cannot read token file {path}: {err.strerror or err}") from err
    item = np.dtype(dtype).itemsize
    if size == 0 or size % item != 0:
        raise JobError(f"token file {path} has {size} bytes, not a whole number of {np.dtype(dtype).name} ids")
    return np.memmap(path, dtype=np.dtype(dtype).newbyteorder("<"), mode="r")


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
    idx = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(T + 1, dtype=np.int64)
    window = np.asarray(tokens[idx], dtype=np.int64)
    return window[:, :-1], window[:, 1:]


def fixed_batch_starts(tokens, B, T, count, seed):
    sampler = BatchSampler(tokens, B, T, seed)
    return [sampler.next_starts() for _ in range(count)]


def train_sampler(tokens, B, T, seed):
    """The sampler of a run's training batches."""
    return BatchSampler(tokens, B, T, (seed ^ TRAIN_SEED_SALT) & M32)


def val_batch_starts(tokens, B, T, count, seed):
    """The window starts of a run's fixed validation batches, the same at every evaluation."""
    return fixed_batch_starts(tokens, B, T, count, (seed ^ VAL_SEED_SALT) & M32)
