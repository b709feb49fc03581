"""A stand-in for cllm_torch.py in the launcher's tests (test support only; the product never runs it).

It speaks the protocol's JSON lines without torch: `env` prints a report; `train` runs one rank
that takes a short step every 20 ms. Rank 0 listens on MASTER_PORT and writes events; the other
ranks connect to it and end when it closes the connection. Every rank treats stdin EOF as "stop".
FAKE_TORCH mode switches: "missing" (env fails as without torch), "stubborn" (ignores stop and
SIGTERM, so only SIGKILL ends it), "crash-rank-1" (rank 1 exits with code 1 after a few steps).
"""
import json
import os
import signal
import socket
import sys
import threading
import time

MODE = os.environ.get("FAKE_TORCH", "")


def out(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def env():
    if MODE == "missing":
        sys.stderr.write("No module named 'torch'\n")
        sys.exit(3)
    out({"python": "3.11.2", "executable": sys.executable, "torch": "1.13.1", "numpy": "1.24.2",
         "cuda": {"available": False, "devices": []}, "mps": False,
         "backends": {"gloo": True, "nccl": False}})


def train(job_path):
    job = json.load(open(job_path))
    rank = int(os.environ["RANK"])
    world = int(os.environ["WORLD_SIZE"])
    addr, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    if MODE == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pending = []
    lock = threading.Lock()

    def read_stdin():
        for line in sys.stdin:
            with lock:
                pending.append(json.loads(line))
        with lock:
            pending.append({"type": "eof", "requestId": None})

    threading.Thread(target=read_stdin, daemon=True).start()
    if rank != 0:
        sock = None
        for _ in range(200):
            try:
                sock = socket.create_connection((addr, port))
                break
            except OSError:
                time.sleep(0.05)
        steps = 0
        sock.settimeout(0.02)
        while True:
            try:
                if sock.recv(1) == b"":
                    sys.exit(0)
            except socket.timeout:
                pass
            with lock:
                if any(c["type"] == "eof" for c in pending) and MODE != "stubborn":
                    sys.exit(0)
            steps += 1
            if MODE == "crash-rank-1" and rank == 1 and steps == 10:
                sys.stderr.write("RuntimeError: a fake failure on rank 1\n")
                sys.exit(1)

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((addr, port))
    server.listen(world)
    peers = [server.accept()[0] for _ in range(world - 1)]
    out({"type": "ready", "protocolVersion": 1, "threadId": os.getpid()})
    out({"type": "state", "state": "preparing", "step": 0, "acks": []})
    total = job["train"]["steps"]
    out({"type": "started", "info": {"step": 0, "totalSteps": total, "resumedFrom": job["resumeFrom"],
         "modelConfig": job["modelConfig"], "parameters": 1000, "trainTokens": 100, "valTokens": 10,
         "corpus": job["corpus"], "tokenizer": {"kind": "char", "vocabSize": job["modelConfig"]["vocabSize"]},
         "engineBytes": 4000}})
    out({"type": "state", "state": "running", "step": 0, "acks": []})
    step, paused, reason = 0, False, "completed"
    while step < total:
        with lock:
            commands, pending[:] = list(pending), []
        stop = False
        for c in commands:
            if c["type"] == "pause":
                paused = True
                out({"type": "state", "state": "paused", "step": step, "acks": [c["requestId"]]})
            elif c["type"] == "resume":
                paused = False
                out({"type": "state", "state": "running", "step": step, "acks": [c["requestId"]]})
            elif c["type"] in ("stop", "eof") and MODE != "stubborn":
                stop = True
        if stop:
            reason = "stopped"
            break
        time.sleep(0.02)
        if paused:
            continue
        step += 1
        out({"type": "training-events", "events": [{"kind": "progress", "step": step, "totalSteps": total,
             "epoch": 0.1, "percent": 100 * step / total, "etaSeconds": None if step == 1 else 1.0,
             "tokensSeen": step * 64, "tokensPerSecond": 1000.0, "stepMs": 20.0, "lr": 1e-3,
             "loss": 4.0 - step * 0.001, "lossEma": 4.0, "gradNorm": 1.0, "clipped": False,
             "memory": {"rss": 1, "heapUsed": 0, "heapTotal": 0, "external": 0, "arrayBuffers": 0,
                        "engineBuffers": 4000}}]})
    out({"type": "state", "state": "stopping", "step": step, "acks": []})
    out({"type": "stopped", "done": {"kind": "done", "reason": reason, "message": "done", "step": step,
         "trainLoss": 3.9, "valLoss": None, "bestValLoss": None, "tokensPerSecond": 1000.0, "seconds": 1.0}})
    for p in peers:
        p.close()
    sys.exit(0)


if __name__ == "__main__":
    if sys.argv[1] == "env":
        env()
    else:
        train(sys.argv[sys.argv.index("--job") + 1])
