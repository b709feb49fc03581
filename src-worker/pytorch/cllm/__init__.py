"""Crystalline Studio's PyTorch engine: trains the studio's GPT-2 with PyTorch, on CPU, CUDA or MPS,
in one process or several (DistributedDataParallel), and speaks the studio's protocol.

The studio (the launcher) starts one process per rank with RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT and OMP_NUM_THREADS set, and hands every rank the same
job file. The program is the built-in engine's trainer (src-worker/train) told again in PyTorch:
the same model (Hugging Face GPT-2 names and layouts), the same seeded init, batches, optimizer
arithmetic, schedules, clipping, accumulation, validation, early stopping, non-finite guard,
metrics and checkpoint file, so a run's charts, history and checkpoints mean the same whichever
engine trained it. The wire protocol is ../PROTOCOL.md; the entry script is ../cllm_torch.py.

One module per concern, each the port of the built-in engine's file it names:
  errors      exit codes, JobError, CheckpointError
  job         the job file, checked field by field
  protocol    events on stdout (Outbox), commands on stdin (CommandReader)
  rng, data   the seeded generator, token files and the batch sampler
  schedule    learning-rate schedules
  model       the GPT in torch and its seeded init
  optim       the AdamW / SGD update
  metrics     EMA, ETA, gradient alerts, histograms, classification scores
  checkpoint  the studio's checkpoint file and a run's checkpoint folder
  distributed ranks, the process group, each rank's slice of a batch
  session     one rank of one run: setup, steps, evaluation, checkpoints, commands
  loop        the training loop
  cli         the subcommands (env, train, inspect)

Needs only the standard library, torch and numpy; errors, job, protocol, schedule and cli import
neither, so a bad job file or a missing torch is reported before torch loads.
"""

import os

# OpenMP threads that spin while they wait collapse when the cores are shared with other processes
# (the studio, other ranks); sleeping waits cost little on an idle machine. Must be set before
# torch loads its OpenMP runtime; the environment still overrides it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
