// Start-up: installs the transport, routes every event to the state modules that want it, and
// reloads them after the event feed reconnects (events may have been missed meanwhile).

import type { Transport } from '../transport/transport';
import { setTransport } from './api';
import { datasets } from './datasets.svelte';
import { playground } from './playground.svelte';
import { runView } from './run-view.svelte';
import { runs } from './runs.svelte';
import { settings } from './settings.svelte';
import { storeHealth } from './store-health.svelte';

class Connection {
  connected = $state(true);
  kind = $state<Transport['kind']>('web');
}

export const connection = new Connection();

export function startStudio(t: Transport): void {
  setTransport(t);
  connection.kind = t.kind;
  t.subscribe((event) => {
    runs.handle(event);
    runView.handle(event);
    datasets.handle(event);
    playground.handle(event);
  });
  let wasDown = false;
  t.onConnection((up) => {
    connection.connected = up;
    if (!up) {
      wasDown = true;
      return;
    }
    if (!wasDown) return;
    wasDown = false;
    void storeHealth.check();
    void runs.load();
    void datasets.load();
    if (runView.id !== null) void runView.open(runView.id);
  });
  void storeHealth.check();
  void runs.load();
  void datasets.load();
  void settings.load();
}
