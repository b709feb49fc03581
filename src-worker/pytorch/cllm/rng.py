"""Seeded random numbers: src-worker/util/rng.ts (xoshiro128**, seeded with splitmix32), ported
exactly so that a seed gives the same init and the same batches as the built-in engine."""

import math

import numpy as np

M32 = 0xFFFFFFFF
TWO32 = 4294967296


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng:
    def __init__(self, seed):
        x = seed & M32
        words = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            words.append((z ^ (z >> 16)) & M32)
        self.s = words

    def get_state(self):
        return list(self.s)

    def set_state(self, state):
        if len(state) != 4 or all(w == 0 for w in state):
            raise ValueError("an Rng state is four uint32 words, not all zero")
        self.s = [int(w) & M32 for w in state]

    def next_u32(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & M32, 7) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def int(self, n):
        """Uniform integer in [0, n) without modulo bias (rejection, as rng.ts)."""
        limit = TWO32 - (TWO32 % n)
        while True:
            x = self.next_u32()
            if x < limit:
                return x % n

    def normals(self, count):
        """`count` values of rng.ts's normal() (Box–Muller, two words each) as float64, leaving the
        state where `count` calls would. The stream is cut into lanes run side by side in numpy,
        each lane started at its offset by jumping ahead with the generator's GF(2) matrix (the
        state update is linear in the 128 state bits), so millions of draws take a second."""
        words = 2 * count
        if words == 0:
            return np.zeros(0)
        lanes = max(1, min(4096, words // 256))
        per_lane = -(-words // lanes)
        step = _xoshiro_matrix()
        jump = _gf2_power(step, per_lane)
        starts = [_state_bits(self.s)]
        for _ in range(lanes - 1):
            starts.append(jump.dot(starts[-1]) & 1)
        st = np.array([_bits_state(b) for b in starts], dtype=np.uint32).T  # (4, lanes)
        s0, s1, s2, s3 = st[0].copy(), st[1].copy(), st[2].copy(), st[3].copy()
        out = np.empty((per_lane, lanes), dtype=np.uint32)
        with np.errstate(over="ignore"):
            for i in range(per_lane):
                r = s1 * np.uint32(5)
                out[i] = ((r << np.uint32(7)) | (r >> np.uint32(25))) * np.uint32(9)
                t = s1 << np.uint32(9)
                s2 ^= s0
                s3 ^= s1
                s1 ^= s2
                s0 ^= s3
                s2 ^= t
                s3 = (s3 << np.uint32(11)) | (s3 >> np.uint32(21))
        stream = out.T.reshape(-1)[:words].astype(np.float64)
        self.s = _bits_state(_gf2_power(step, words).dot(_state_bits(self.s)) & 1)
        u1 = (stream[0::2] + 1.0) / 4294967297.0
        u2 = stream[1::2] / 4294967296.0
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)


def _state_bits(words):
    return np.array([(w >> b) & 1 for w in words for b in range(32)], dtype=np.int64)


def _bits_state(bits):
    return [sum(int(bits[32 * w + b]) << b for b in range(32)) for w in range(4)]


_XOSHIRO_MATRIX = None


def _xoshiro_matrix():
    """The 128×128 GF(2) matrix of one xoshiro128 state update (column j: the update of bit j)."""
    global _XOSHIRO_MATRIX
    if _XOSHIRO_MATRIX is None:
        cols = []
        for j in range(128):
            r = Rng(0)
            r.s = [(1 << (j % 32)) if w == j // 32 else 0 for w in range(4)]
            r.next_u32()
            cols.append(_state_bits(r.s))
        _XOSHIRO_MATRIX = np.array(cols, dtype=np.int64).T
    return _XOSHIRO_MATRIX


def _gf2_power(m, n):
    result = np.eye(m.shape[0], dtype=np.int64)
    base = m.copy()
    while n > 0:
        if n & 1:
            result = result.dot(base) & 1
        base = base.dot(base) & 1
        n >>= 1
    return result
