"""torch.mm throughput at given matmul shapes: the ceiling `crystalline bench` compares the
engine's matmul kernels with (PyTorch's BLAS on this machine, fp32, CPU).

    python3 torch_mm.py --threads 1 --reps 9 '[[1024, 128, 384, false], ...]'

Each shape [N, C, OC, transposed] is timed as the engine runs it: forward out = inp·W (or inp·Wᵀ
for the tied LM head), backward dinp and dweight; one JSON line per shape with the median GFLOP/s.
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402  (after OMP_WAIT_POLICY, which OpenMP reads at load)


def median_seconds(fn, reps):
    fn()
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--reps", type=int, default=9)
    p.add_argument("shapes", help="JSON list of [N, C, OC, transposed]")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    g = torch.Generator().manual_seed(5)
    for n, c, oc, transposed in json.loads(a.shapes):
        inp = torch.randn(n, c, generator=g)
        weight = torch.randn(oc, c, generator=g) if transposed else torch.randn(c, oc, generator=g)
        dout = torch.randn(n, oc, generator=g)
        w = weight.t() if transposed else weight  # (C, OC) either way, as a view

        def backward():
            torch.mm(dout, w.t())  # dinp (N, C)
            torch.mm(dout.t(), inp) if transposed else torch.mm(inp.t(), dout)  # dweight

        flops = 2 * n * c * oc
        forward_s = median_seconds(lambda: torch.mm(inp, w), a.reps)
        backward_s = median_seconds(backward, a.reps)
        print(json.dumps({"n": n, "c": c, "oc": oc, "transposed": transposed,
                          "forward_gflops": flops / forward_s / 1e9,
                          "backward_gflops": 2 * flops / backward_s / 1e9}), flush=True)


main()
