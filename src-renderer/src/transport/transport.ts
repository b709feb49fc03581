// The one seam between the UI and the studio: calls, events and the two ways of choosing files.
// Chosen once at start-up (select.ts); state modules reach it only through state/api.ts.

import type {
  DialogPurpose,
  MethodInput,
  MethodName,
  MethodResult,
  StudioEvent,
} from '../../../src-main/api';

export interface UploadFile {
  file: Blob;
  relativePath: string; // "notes.txt", or "folder/sub/notes.txt" for a folder
}

export interface Transport {
  readonly kind: 'electron' | 'web';
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>>;
  /** Every studio event; returns the function that unsubscribes. */
  subscribe(listener: (event: StudioEvent) => void): () => void;
  /**
   * Connection changes of the event feed. After a reconnection, events may have been missed, so
   * state reloads. Returns the function that unsubscribes.
   */
  onConnection(listener: (connected: boolean) => void): () => void;
  /** Native dialogs (Electron); null where there are none. */
  choosePath: ((purpose: DialogPurpose, defaultPath?: string) => Promise<string | null>) | null;
  /** Sends files to the machine that trains (serve mode) and returns the path to import; null in Electron. */
  upload: ((files: UploadFile[], onProgress: (fraction: number) => void) => Promise<string>) | null;
}
