#!/usr/bin/env python3
"""Crystalline Studio's PyTorch engine, the program the launcher runs; the engine itself is the
`cllm` package beside this file (cllm/__init__.py says what each module does).

  python3 cllm_torch.py env                   one JSON line: Python, torch, devices, backends
  python3 -u cllm_torch.py train --job J.json  train one rank; events on stdout (rank 0 only)
  python3 cllm_torch.py inspect --job J.json --batches N [--params-out F]
                                              what a run would start from: the first N training
                                              batches, the validation batches and (into F, raw
                                              float32) the initial weights, for checks

Python puts this file's folder first on sys.path, so `cllm` is found wherever the program is
started from (the repository, or resources/pytorch/ of a packaged app).
"""

import sys

from cllm.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
