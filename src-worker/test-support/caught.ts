// The error a call throws or a promise rejects with, checked to be of the expected class, for the
// tests that go on to check its code and message.

import { expect } from 'vitest';

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** Awaits `promise`, expects it to reject with an instance of `type`, and returns that error. */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: ErrorClass<E>,
): Promise<E> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

/** Calls `run`, expects it to throw an instance of `type`, and returns that error. */
export function thrownBy<E extends Error>(run: () => unknown, type: ErrorClass<E>): E {
  let err: unknown = null;
  try {
    run();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(type);
  return err as E;
}
