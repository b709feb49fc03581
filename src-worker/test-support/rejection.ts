// The error a promise rejects with, checked to be of the expected class, for the tests that go on
// to check its code and message.

import { expect } from 'vitest';

/** Awaits `promise`, expects it to reject with an instance of `type`, and returns that error. */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}
