// Toasts: what a click asked for either succeeds quietly or says why it failed.

import { describe, expect, it } from 'vitest';
import { toasts } from './toasts.svelte';

describe('toasts.attempt', () => {
  it('runs the action and shows nothing when it succeeds', async () => {
    const before = toasts.items.length;
    expect(await toasts.attempt(() => Promise.resolve(7))).toBe(true);
    expect(toasts.items).toHaveLength(before);
  });

  it('shows a failure as an error toast with its message, and says it failed', async () => {
    expect(await toasts.attempt(() => Promise.reject(new Error('the run is running')))).toBe(false);
    expect(toasts.items.at(-1)).toMatchObject({ kind: 'error', message: 'the run is running' });
  });
});
