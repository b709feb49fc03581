// The IPC channel names behind `window.studio` (its types are the API's: ../api/transport.ts).
// Plain constants: the sandboxed preload imports them without bundling the contract.

import type { MethodName } from '../api';

/** The IPC channel of each API method, and the two others. */
export const methodChannel = (method: MethodName): string => `studio:${method}`;
export const EVENT_CHANNEL = 'studio:event';
export const DIALOG_CHANNEL = 'studio:dialog';
