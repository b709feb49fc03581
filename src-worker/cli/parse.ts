// Value parsers for command-line options: each rejects a bad value with a message naming what is
// allowed; commander prefixes the option's name, and the CLI exits with code 2.

import { InvalidArgumentError } from 'commander';
import type { TokenizerSpec } from '../data/train-tokenizer';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${value}".`);
  }
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a whole number ≥ 0, got "${value}".`);
  }
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a finite number > 0, got "${value}".`);
  }
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError(`expected a finite number ≥ 0, got "${value}".`);
  }
  return n;
}

/** A number in the half-open interval [0, 1). */
export function unitInterval(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) {
    throw new InvalidArgumentError(`expected a number in [0, 1), got "${value}".`);
  }
  return n;
}

/** A number in the open interval (0, 1). */
export function openUnitInterval(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n >= 1) {
    throw new InvalidArgumentError(`expected a number strictly between 0 and 1, got "${value}".`);
  }
  return n;
}

/** An unsigned 32-bit seed. */
export function seed(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n > 0xffffffff) {
    throw new InvalidArgumentError(`expected a whole number from 0 to 4294967295, got "${value}".`);
  }
  return n;
}

/** A parser accepting exactly one of `choices`. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string): T => {
    const found = choices.find((c) => c === value);
    if (found === undefined) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got "${value}".`);
    }
    return found;
  };
}

/** Comma-separated token ids, e.g. "1,2,3". */
export function tokenList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new InvalidArgumentError(`expected comma-separated token ids like 1,2,3, got "${value}".`);
  }
  return parts.map(Number);
}

/** Comma-separated positive integers, e.g. thread counts `1,2`; a bad element is named. */
export function positiveIntList(value: string): number[] {
  return value.split(',').map(positiveInt);
}

/** `char`, `byte`, or `bpe:N` with 257 ≤ N ≤ 65536. */
export function tokenizerSpec(value: string): TokenizerSpec {
  if (value === 'char' || value === 'byte') return { kind: value };
  const m = /^bpe:(\d+)$/.exec(value);
  if (m) {
    const vocabSize = Number(m[1]);
    if (vocabSize >= 257 && vocabSize <= 65536) return { kind: 'bpe', vocabSize };
    throw new InvalidArgumentError(`BPE vocabulary size must be from 257 to 65536, got ${vocabSize}.`);
  }
  throw new InvalidArgumentError(`expected char, byte or bpe:N (e.g. bpe:2048), got "${value}".`);
}

/** A probability mass in (0, 1]. */
export function probability(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) {
    throw new InvalidArgumentError(`expected a number in (0, 1], got "${value}".`);
  }
  return n;
}

/** HOST:PORT of a rendezvous (an IPv6 host in brackets: [::1]:29500). */
export function hostPort(value: string): string {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value.trim());
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new InvalidArgumentError(`expected HOST:PORT (e.g. 192.168.1.10:29500), got "${value}".`);
  }
  return value.trim();
}
