"""The job file (../PROTOCOL.md): checked field by field so a bad one is named, not a stack trace."""

import json
import math

from .errors import JobError
from .protocol import PROTOCOL_VERSION


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
