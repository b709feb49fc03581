// The transport chosen at start-up, for the state modules (components never call it themselves).

import type { Transport } from '../transport/transport';

let current: Transport | null = null;

export function setTransport(transport: Transport): void {
  current = transport;
}

export function transport(): Transport {
  if (current === null) throw new Error('No transport yet: main.ts selects one before the app mounts.');
  return current;
}
