// The database's health for the banner: checked at start-up and after the event feed reconnects
// (a damage found meanwhile refuses every call with 'store-damaged'); while it is damaged the
// banner offers the two ways back, and a choice made reloads the app on the new database.

import type { StoreDamageInfo, StoreRecoveryReport } from '../../../src-main/api';
import { messageOf } from '../transport/api-error';
import { transport } from './api';

export class StoreHealthState {
  damage = $state<StoreDamageInfo | null>(null);
  recovering = $state(false);
  error = $state<string | null>(null);
  report = $state<StoreRecoveryReport | null>(null);

  async check(): Promise<void> {
    try {
      this.damage = (await transport().call('store.status', {})).damage;
    } catch (err) {
      this.error = messageOf(err);
    }
  }

  /** Replaces the damaged database as chosen; true when the studio is back on a sound one. */
  async recover(action: 'fresh' | 'rebuild'): Promise<boolean> {
    this.recovering = true;
    this.error = null;
    try {
      this.report = await transport().call('store.recover', { action });
      this.damage = null;
      return true;
    } catch (err) {
      this.error = messageOf(err);
      return false;
    } finally {
      this.recovering = false;
    }
  }
}

export const storeHealth = new StoreHealthState();
