"""The studio's checkpoint file (src-worker/checkpoint/format.ts, write.ts, read.ts) and a run's
checkpoint folder with its retention (train/run-checkpoints.ts, train/retention.ts)."""

import contextlib
import hashlib
import json
import math
import os
import re
import secrets
import struct
import sys

import numpy as np

from .errors import CheckpointError, JobError

MAGIC = b"CLLMCKPT"
END_MARKER = b"CLLM-END"
FORMAT_VERSION = 1
PREAMBLE_BYTES = 16
HASH_BYTES = 32
TRAILER_BYTES = 2 * HASH_BYTES + len(END_MARKER)
DATA_ALIGNMENT = 64
MAX_HEADER_BYTES = 256 * 1024 * 1024
CHECKPOINT_NAME = re.compile(r"^step-(\d+)\.ckpt$")
TEMP_NAME = re.compile(r"^\.(.+)\.(\d+)-([0-9a-f]{16})\.tmp$")


def align_up(n, a):
    return -(-n // a) * a


def checkpoint_file_name(step):
    return f"step-{step:07d}.ckpt"


def temp_path_for(target):
    d, name = os.path.split(target)
    return os.path.join(d, f".{name}.{os.getpid()}-{secrets.token_hex(8)}.tmp")


def sync_dir(path):
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_checkpoint(path, header, tensors):
    """Writes header + named float32 arrays atomically: temp beside the target, fsync, rename,
    fsync the folder. Returns (bytes, content sha256 hex)."""
    table = []
    cursor = 0
    for name, shape, data in tensors:
        offset = align_up(cursor, DATA_ALIGNMENT)
        table.append({"name": name, "dtype": "F32", "shape": list(shape), "offset": offset, "length": data.nbytes})
        cursor = offset + data.nbytes
    text = json.dumps({"header": header, "tensors": table}, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    blob = text.encode("utf-8")
    if len(blob) > MAX_HEADER_BYTES:
        raise CheckpointError("INVALID_INPUT", path, f"Cannot write checkpoint {path}: its header is too large.")
    data_start = align_up(PREAMBLE_BYTES + len(blob), DATA_ALIGNMENT)
    head = bytearray(data_start)
    head[0:8] = MAGIC
    head[8:16] = struct.pack("<II", FORMAT_VERSION, len(blob))
    head[PREAMBLE_BYTES : PREAMBLE_BYTES + len(blob)] = blob
    temp = temp_path_for(path)
    renamed = False
    try:
        with open(temp, "xb") as f:
            header_hash = hashlib.sha256(head)
            content = hashlib.sha256(head)
            f.write(head)
            pos = 0
            for (name, shape, data), entry in zip(tensors, table):
                gap = entry["offset"] - pos
                if gap > 0:
                    content.update(bytes(gap))
                    f.write(bytes(gap))
                raw = np.ascontiguousarray(data, dtype="<f4").tobytes()
                content.update(raw)
                f.write(raw)
                pos = entry["offset"] + entry["length"]
            digest = content.digest()
            f.write(header_hash.digest() + digest + END_MARKER)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
        renamed = True
        sync_dir(os.path.dirname(path) or ".")
    except OSError as err:
        if not renamed:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        full = err.errno in (28, 122)  # ENOSPC, EDQUOT
        raise CheckpointError(
            "DISK_FULL" if full else "WRITE_FAILED",
            path,
            f"Checkpoint {path} could not be written ({err.strerror or err}); the previous file is intact. "
            + ("Free some disk space, then save again." if full else "Check the disk, then save again."),
        ) from err
    return data_start + cursor + TRAILER_BYTES, digest.hex()


def read_checkpoint(path, header_only=False):
    """(header, {name: float32 array}) of a checkpoint, every checksum verified."""
    try:
        with open(path, "rb") as f:
            raw = f.read() if not header_only else None
            if header_only:
                pre = f.read(PREAMBLE_BYTES)
                if len(pre) == PREAMBLE_BYTES and pre[:8] == MAGIC:
                    (length,) = struct.unpack("<I", pre[12:16])
                    raw = pre + f.read(min(length, MAX_HEADER_BYTES))
                else:
                    raw = pre
    except OSError as err:
        raise CheckpointError("NOT_FOUND", path, f"Cannot read checkpoint {path}: {err.strerror or err}.") from err

    def corrupt(what):
        return CheckpointError("CORRUPT_HEADER", path, f"{path} is not a readable checkpoint: {what}.")

    if len(raw) < PREAMBLE_BYTES or raw[:8] != MAGIC:
        raise corrupt("it does not start with the CLLMCKPT magic")
    version, length = struct.unpack("<II", raw[8:16])
    if version != FORMAT_VERSION:
        raise CheckpointError(
            "UNSUPPORTED_VERSION",
            path,
            f"{path} is checkpoint format version {version}; this engine reads version {FORMAT_VERSION}. "
            "Resume it once on the built-in engine, which migrates older files.",
        )
    if length > MAX_HEADER_BYTES or PREAMBLE_BYTES + length > len(raw):
        raise corrupt("its header length runs past the end of the file")
    try:
        stored = json.loads(raw[PREAMBLE_BYTES : PREAMBLE_BYTES + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise corrupt(f"its header is not JSON ({err})") from err
    if header_only:
        return stored["header"], None
    if len(raw) < TRAILER_BYTES or raw[-len(END_MARKER) :] != END_MARKER:
        raise CheckpointError("TRUNCATED", path, f"{path} is cut short (no end marker); it was not completely written.")
    data_start = align_up(PREAMBLE_BYTES + length, DATA_ALIGNMENT)
    trailer = len(raw) - TRAILER_BYTES
    if hashlib.sha256(raw[:data_start]).digest() != raw[trailer : trailer + HASH_BYTES]:
        raise corrupt("its header checksum does not match")
    if hashlib.sha256(raw[:trailer]).digest() != raw[trailer + HASH_BYTES : trailer + 2 * HASH_BYTES]:
        raise CheckpointError("CORRUPT_DATA", path, f"{path} is damaged: its content checksum does not match.")
    tensors = {}
    for e in stored["tensors"]:
        start = data_start + e["offset"]
        tensors[e["name"]] = np.frombuffer(raw, dtype="<f4", count=e["length"] // 4, offset=start).reshape(e["shape"])
    return stored["header"], tensors


def plan_retention(entries, policy):
    """train/retention.ts planRetention: (keep, remove) lists of checkpoint dicts."""
    by_step = sorted(entries, key=lambda c: -c["step"])
    keep = set()
    for c in by_step[: max(1, policy["keepLast"])]:
        keep.add(c["path"])
    newest_good = next((c for c in by_step if c["finite"]), None)
    if newest_good:
        keep.add(newest_good["path"])
    if policy["keepBest"]:
        best = None
        for c in entries:
            v = c["valLoss"]
            if not c["finite"] or v is None or not math.isfinite(v):
                continue
            if best is None or v < best["valLoss"] or (v == best["valLoss"] and c["step"] > best["step"]):
                best = c
        if best:
            keep.add(best["path"])
    for c in entries:
        if c["pinned"] or (policy["keepEvery"] > 0 and c["step"] % policy["keepEvery"] == 0):
            keep.add(c["path"])
    return [c for c in by_step if c["path"] in keep], [c for c in by_step if c["path"] not in keep]


def read_pins(folder):
    try:
        with open(os.path.join(folder, "pins.json"), encoding="utf-8") as f:
            pinned = json.load(f).get("pinned")
        return {p for p in pinned if isinstance(p, str)} if isinstance(pinned, list) else set()
    except (OSError, ValueError, AttributeError):
        return set()


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except OSError:
        return False


class RunCheckpoints:
    """train/run-checkpoints.ts: a run's checkpoint folder, its index, verification and pruning."""

    def __init__(self, folder, policy, run_id, step):
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        self.policy = policy
        self.entries = []
        for name in os.listdir(folder):
            m = TEMP_NAME.match(name)
            if m and not _pid_alive(int(m.group(2))):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))
        foreign, abandoned = [], []
        for name in sorted(os.listdir(folder)):
            if not CHECKPOINT_NAME.match(name):
                continue
            path = os.path.join(folder, name)
            try:
                header, _ = read_checkpoint(path, header_only=True)
            except (CheckpointError, KeyError, TypeError):
                continue  # a damaged file stays on disk as evidence, never counted
            owner = (header.get("trainConfig") or {}).get("runId")
            if owner != run_id:
                foreign.append(name)
                continue
            if header["step"] > step:
                abandoned.append(path)
                continue
            metrics = header.get("metrics") or {}
            self.entries.append(
                {
                    "path": path,
                    "step": header["step"],
                    "valLoss": metrics.get("valLoss"),
                    "finite": metrics.get("finite", True),
                    "pinned": False,
                }
            )
        if foreign:
            more = ", …" if len(foreign) > 3 else ""
            raise JobError(
                f"{folder} already holds checkpoints of another run ({', '.join(foreign[:3])}{more}). Write this "
                "run's checkpoints to an empty folder, or continue that run with --resume."
            )
        pins = read_pins(folder)
        for path in abandoned:
            if os.path.basename(path) not in pins:
                os.unlink(path)

    def save(self, step, header, tensors, val_loss, finite):
        path = os.path.join(self.folder, checkpoint_file_name(step))
        size, sha = write_checkpoint(path, header, tensors)
        read_checkpoint(path)  # verify: read back and check both checksums before pruning anything
        saved = {"path": path, "step": step, "valLoss": val_loss, "finite": finite, "pinned": False}
        self.entries = [e for e in self.entries if e["path"] != path] + [saved]
        pins = read_pins(self.folder)
        for e in self.entries:
            e["pinned"] = os.path.basename(e["path"]) in pins
        _, remove = plan_retention(self.entries, self.policy)
        remove = [r for r in remove if r is not saved]
        for r in remove:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(r["path"])
        gone = {r["path"] for r in remove}
        self.entries = [e for e in self.entries if e["path"] not in gone]
        return {"path": path, "step": step, "bytes": size, "sha256": sha, "valLoss": val_loss, "finite": finite}, [
            r["path"] for r in remove
        ]
