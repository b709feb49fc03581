"""One rank of one run (train/trainer.ts, the checkpointing and worker.ts's TrainingSession told
again): setup, the optimizer step, evaluation, checkpoints and the commands. The loop that drives
it is loop.py."""

import contextlib
import datetime
import math
import os
import time

import torch

from . import distributed, optim
from .checkpoint import RunCheckpoints, read_checkpoint
from .data import read_tokens, token_dtype, train_sampler, val_batch_starts, windows
from .errors import CheckpointError, JobError
from .metrics import CONFUSION_TOKENS, classification_scores, most_frequent_tokens
from .model import Gpt, activation_floats, init_params
from .protocol import CMD_CHECKPOINT, CMD_NONE, CMD_PAUSE, CMD_RESUME, CMD_STOP, CommandReader, Outbox, json_safe
from .schedule import learning_rate


class Session:
    """One rank of one run: the Trainer and the worker's session together; loop.run_training drives it."""

    def __init__(self, job):
        self.job = job
        self.rank, self.world, self.local_rank = distributed.rank_of_env()
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
        # Sums, norms and the optimizer's arithmetic are done in float64 as the built-in engine
        # does them; MPS has no float64, so there they are float32 (close, not bitwise).
        self.wide = torch.float32 if job["device"] == "mps" else torch.float64

    # -- setup -------------------------------------------------------------------------------

    def setup(self):
        job, tc = self.job, self.tc
        device = job["device"]
        if self.world > 1:
            distributed.init_process_group(device, self.rank, self.world, float(job.get("timeoutSeconds") or 60))
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
        self.lo, self.hi = distributed.batch_slice(B, self.rank, self.world)
        # DDP averages gradients over ranks; scaling each rank's mean loss by world·rows/B makes
        # that average the gradient of the global batch's mean loss, even for uneven slices.
        self.loss_scale = self.world * (self.hi - self.lo) / B

        dtype = token_dtype(job)
        self.train_tokens = read_tokens(job["tokens"]["train"], dtype)
        self.val_tokens = read_tokens(job["tokens"]["val"], dtype)
        V = self.cfg["vocabSize"]
        for split, tokens in (("train", self.train_tokens), ("val", self.val_tokens)):
            if len(tokens) < B * T + 1:
                raise JobError(f"tokens.{split} holds {len(tokens)} tokens; one batch needs B·T + 1 = {B * T + 1}.")
            if int(tokens.max()) >= V:
                raise JobError(f"tokens.{split} holds a token id ≥ modelConfig.vocabSize ({V}).")
        seed = tc["seed"]
        self.sampler = train_sampler(self.train_tokens, B, T, seed)
        self.val_starts = val_batch_starts(self.val_tokens, B, T, tc["evalBatches"], seed)
        self.confusion_tokens = most_frequent_tokens(self.val_tokens, V, CONFUSION_TOKENS)
        self.tokens_per_step = B * T * tc["gradAccumSteps"]

        model = Gpt(self.cfg)
        init_params(model, seed, self.cfg["nLayer"])
        self.model = model.to(self.device)
        self.params = list(self.model.named_parameters())
        self.names = [n for n, _ in self.params]
        self.moment_names = optim.moment_names(tc["optimizer"])
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

    def _restore(self, path):
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

    # -- the optimizer step (train/trainer.ts trainStep) ------------------------------------------

    def train_step(self, inspect):
        tc = self.tc
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
            self.optimizer_steps += 1
            optim.update(self.params, self.moments, tc["optimizer"], lr, factor, self.optimizer_steps, self.wide)
        self.step += 1
        self.tokens_seen += self.tokens_per_step
        report = {"step": self.step, "loss": loss, "lr": lr, "gradNorm": norm, "clipped": factor != 1.0,
                  "skipped": skipped, "tokens": self.tokens_per_step,
                  "stepMs": (time.perf_counter() - started) * 1000}
        return report, command

    def agree(self, loss_part, wait=None):
        """The step's one all-reduce: rank 0's pending command (waiting up to `wait` seconds for
        one), any rank's stop signal, and the global mean loss. Returns (command, loss), the same
        on every rank; rank 0 keeps the command's requestId to acknowledge it."""
        code, request_id = self.commands.take(wait) if self.rank == 0 else (CMD_NONE, None)
        self.request_id = request_id
        signalled = 1.0 if self.commands.signalled else 0.0
        t = torch.stack([torch.tensor(float(code), dtype=self.wide, device=self.device),
                         torch.tensor(signalled, dtype=self.wide, device=self.device),
                         torch.as_tensor(loss_part, dtype=self.wide, device=self.device)])
        code, signalled, loss = (float(v) for v in distributed.sum_over_ranks(t, self.world).tolist())
        return (CMD_STOP if signalled > 0 else int(code)), loss

    # -- evaluation (train/trainer.ts evaluate) ----------------------------------------------

    def evaluate(self, observe):
        tc = self.tc
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
        packed = distributed.sum_over_ranks(packed, self.world).cpu().numpy()
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

    def epoch(self):
        """Epochs trained, in the sampler's batches per epoch of the training split."""
        tc = self.tc
        return self.tokens_seen / (self.sampler.batches_per_epoch * tc["batchSize"] * tc["seqLen"])

    def header(self, val_loss, finite):
        job, tc = self.job, self.tc
        es = self.early
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
                "epoch": self.epoch(),
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
                            "kernelPath": f"torch-{torch.__version__}-{device}-{self.world}x"},
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
            code = self.poll()
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
        return self.agree(0.0, wait=0.25)[0]

