// Short notices at the corner of the window: what an action did, or why it failed.

import { messageOf } from '../transport/api-error';

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  message: string;
}

class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  show(message: string, kind: Toast['kind'] = 'info', ms = kind === 'error' ? 8000 : 4000): void {
    const id = this.next++;
    this.items.push({ id, kind, message });
    setTimeout(() => this.dismiss(id), ms);
  }

  /**
   * Runs what a click asked for (pin, delete, resume…): a refusal or failure is shown as an error
   * toast and the view stays as it was. True when it succeeded.
   */
  async attempt(action: () => Promise<unknown>): Promise<boolean> {
    try {
      await action();
      return true;
    } catch (err) {
      this.show(messageOf(err), 'error');
      return false;
    }
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
