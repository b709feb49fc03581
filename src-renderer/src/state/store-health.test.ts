// The damaged-database banner's state: it shows what store.status reports, a choice calls
// store.recover with it and clears the damage, and a refused recovery keeps the banner with the reason.

import { describe, expect, it } from 'vitest';
import type { StoreDamageInfo } from '../../../src-main/api';
import { ApiError } from '../transport/api-error';
import { setTransport } from './api';
import { fakeTransport } from './fake-transport';
import { StoreHealthState } from './store-health.svelte';

const damage: StoreDamageInfo = {
  kind: 'corrupt',
  path: '/data/studio.db',
  copies: ['/data/studio.damaged-2026-12-04T17-00-00-000Z.db'],
  detail: 'database disk image is malformed',
  foundAt: '2026-12-04T17:00:00.000Z',
  message: 'The studio’s database /data/studio.db is damaged …',
};

describe('the store health banner state', () => {
  it('shows the damage and clears it once a way back is chosen', async () => {
    const fake = fakeTransport({
      'store.status': () => ({ damage }),
      'store.recover': ({ action }) => ({
        action,
        kept: damage.copies,
        runs: 2,
        checkpoints: 5,
        metricPoints: 80,
        skipped: [],
      }),
    });
    setTransport(fake);
    const state = new StoreHealthState();
    await state.check();
    expect(state.damage).toEqual(damage);
    expect(await state.recover('rebuild')).toBe(true);
    expect(fake.calls.at(-1)).toEqual({ method: 'store.recover', input: { action: 'rebuild' } });
    expect(state.damage).toBeNull();
    expect(state.report?.runs).toBe(2);
  });

  it('keeps the banner with the reason when the recovery is refused', async () => {
    setTransport(
      fakeTransport({
        'store.status': () => ({ damage }),
        'store.recover': () => {
          throw new ApiError(
            'conflict',
            '/data/studio.db has no identical copy aside, so it is not replaced.',
          );
        },
      }),
    );
    const state = new StoreHealthState();
    await state.check();
    expect(await state.recover('fresh')).toBe(false);
    expect(state.damage).toEqual(damage);
    expect(state.error).toMatch(/no identical copy aside/);
    expect(state.recovering).toBe(false);
  });
});
