// A list the service sends whole (datasets, runs): its items, a load under way, whether one has
// succeeded yet, and the last load's error, which stays with the items shown until a load succeeds.

import { messageOf } from '../transport/api-error';

export abstract class LoadedList<T> {
  items = $state<T[]>([]);
  loading = $state(false);
  loaded = $state(false);
  error = $state<string | null>(null);

  /** The whole list, from the service. */
  protected abstract fetchItems(): Promise<T[]>;

  async load(): Promise<void> {
    this.loading = true;
    try {
      this.items = await this.fetchItems();
      this.error = null;
      this.loaded = true;
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.loading = false;
    }
  }
}
