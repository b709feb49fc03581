// Serve mode: opens the studio service on a data folder and serves it over HTTP + WebSocket, for a
// browser on this machine (or a headless box through an SSH tunnel). `crystalline serve` calls this.

import type { MethodName, MethodResult } from '../api';
import { openResolved, resolveDataDir } from '../studio/data-dir';
import { ErrorLog } from '../studio/error-log';
import { RecoverableStudio } from '../studio/recoverable-studio';
import { ensureSampleDataset } from './sample-dataset';
import type { CallStudio } from './sample-dataset';
import { startWebServer } from './server';
import type { WebServer } from './server';

export interface ServeOptions {
  dataDir?: string; // --data-dir; default: $CRYSTALLINE_DATA_DIR, the Settings choice, the app's folder
  port?: number; // default 0: a free port
  host?: string; // default 127.0.0.1
  token?: string; // default: random
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** The bundled engine worker (out/engine/worker.js). */
  workerScript: string;
}

export interface ServeHandle {
  server: WebServer;
  /** The service; while its database is damaged it answers only store.status and store.recover. */
  studio: RecoverableStudio;
  /** Stops accepting requests, then closes the studio (active runs checkpoint first). */
  close(): Promise<void>;
}

/** A typed view of the service's untyped `call`; the contract's schemas check every payload. */
export function typedCall(studio: { call(method: string, input: unknown): Promise<unknown> }): CallStudio {
  return <M extends MethodName>(method: M, input: unknown) =>
    studio.call(method, input) as Promise<MethodResult<M>>;
}

export async function serveStudio(options: ServeOptions): Promise<ServeHandle> {
  const studio = await openResolved(resolveDataDir({ flag: options.dataDir }), ({ dataDir, ...dataFolder }) =>
    RecoverableStudio.open({ dataDir, dataFolder, workerScript: options.workerScript }),
  );
  try {
    if (studio.damaged === null) await ensureSampleDataset(typedCall(studio), studio.layout.root);
    const server = await startWebServer({
      backend: studio,
      rendererDir: options.rendererDir,
      uploadDir: studio.layout.uploads,
      errorLog: ErrorLog.of(studio.layout.root),
      host: options.host,
      port: options.port,
      token: options.token,
    });
    return {
      server,
      studio,
      close: async () => {
        await server.close();
        await studio.close();
      },
    };
  } catch (err) {
    await studio.close();
    throw err;
  }
}
