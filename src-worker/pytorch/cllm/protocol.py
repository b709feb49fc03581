"""The wire protocol (../PROTOCOL.md): one JSON line per WorkerEvent on stdout, rank 0 only, NaN
and ±Infinity written as null; commands read from stdin by rank 0. Every step all ranks agree on
one command through a tiny all-reduce (Session.agree), so all of them pause, save or stop at the
same step."""

import json
import math
import queue
import sys
import threading
import traceback

PROTOCOL_VERSION = 1


def json_safe(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


class Outbox:
    """worker.ts Outbox: training events wait in a batch flushed every flushMs; any other event
    flushes the batch first, so events arrive in the order they happened. Thread-safe."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.batch = []
        self.lock = threading.Lock()
        self.out = sys.stdout.buffer

    def push(self, event):
        if self.enabled:
            with self.lock:
                self.batch.append(event)

    def flush(self):
        with self.lock:
            self._flush_locked()

    def post(self, event):
        if not self.enabled:
            return
        with self.lock:
            self._flush_locked()
            self._write(event)

    def _flush_locked(self):
        if self.batch:
            events, self.batch = self.batch, []
            self._write({"type": "training-events", "events": events})

    def _write(self, event):
        line = json.dumps(json_safe(event), separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"
        try:
            self.out.write(line.encode("utf-8"))
            self.out.flush()
        except (BrokenPipeError, ValueError):
            self.enabled = False  # the studio is gone; training still ends and saves as on EOF


def serialize_error(err):
    details = {}
    for key, value in vars(err).items() if hasattr(err, "__dict__") else []:
        if value is None or isinstance(value, (str, int, float, bool)):
            details[key] = value
    name = getattr(err, "name", None) or type(err).__name__
    stack = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    return {"name": name, "message": str(err), "stack": stack, "details": details}


# Commands: rank 0 reads stdin on a thread and queues them by code.

CMD_NONE, CMD_PAUSE, CMD_RESUME, CMD_CHECKPOINT, CMD_STOP = 0, 1, 2, 3, 4
COMMAND_CODES = {"pause": CMD_PAUSE, "resume": CMD_RESUME, "checkpoint": CMD_CHECKPOINT, "stop": CMD_STOP}


class CommandReader:
    def __init__(self, read_stdin):
        self.queue = queue.Queue()
        self.signalled = False
        if read_stdin:
            threading.Thread(target=self._read, name="stdin", daemon=True).start()

    def _read(self):
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                cmd = json.loads(line)
                code = COMMAND_CODES[cmd["type"]]
                request_id = cmd.get("requestId")
            except (ValueError, KeyError, TypeError):
                print(f"cllm_torch: ignored a command that is not one of {sorted(COMMAND_CODES)}: {line[:200]}",
                      file=sys.stderr, flush=True)
                continue
            self.queue.put((code, request_id))
        # Closed stdin: the studio is gone or wants us gone. Save and exit, as on stop.
        self.queue.put((CMD_STOP, None))

    def take(self, timeout=None):
        """The next command (code, requestId), or (CMD_NONE, None) when there is none in time."""
        if self.signalled:
            return CMD_STOP, None
        try:
            return self.queue.get(timeout=timeout) if timeout else self.queue.get_nowait()
        except queue.Empty:
            return CMD_NONE, None
