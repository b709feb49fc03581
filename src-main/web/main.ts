// Serve mode's entry, bundled as out/main/serve.js: `npm run serve [-- --port P --data-dir D]`, or
// `crystalline serve`, which imports this file and calls `serveCommand`. Prints the URL with its
// access token; on Ctrl-C active runs checkpoint before the process exits.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeDamage } from '../studio/store/integrity';
import { hostWarning } from './host';
import { serveStudio } from './serve';
import type { ServeHandle } from './serve';

export interface ServeCommandOptions {
  port?: number;
  dataDir?: string;
  host?: string;
}

/** Paths of the built app, relative to this bundle (out/main/serve.js). */
const outDir = fileURLToPath(new URL('..', import.meta.url));

/** Starts serve mode with the built renderer and engine, prints where to open it, and stops on SIGINT/SIGTERM. */
export async function serveCommand(options: ServeCommandOptions = {}): Promise<ServeHandle> {
  const warning = hostWarning(options.host ?? '127.0.0.1');
  if (warning !== null) console.error(warning);
  const handle = await serveStudio({
    ...options,
    rendererDir: `${outDir}renderer`,
    workerScript: `${outDir}engine/worker.js`,
  });
  console.log(`Crystalline Studio is serving ${handle.studio.layout.root}`);
  const damage = handle.studio.damaged;
  if (damage !== null) {
    // Served anyway, so the page can offer the choice; `crystalline repair` offers it here.
    console.error(describeDamage(damage));
    console.error(
      `Open the page to choose, or stop and run \`crystalline repair --fresh\` or \`crystalline repair --rebuild\` ` +
        `with --data-dir ${handle.studio.layout.root}.`,
    );
  }
  console.log(`Open ${handle.server.url}`);
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    console.log('Stopping: active runs write a checkpoint first…');
    handle.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  return handle;
}

export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`--port must be a whole number from 0 to 65535; got "${text}".`);
  }
  return port;
}

const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  try {
    const { values } = parseArgs({
      options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, host: { type: 'string' } },
    });
    await serveCommand({ port: parsePort(values.port), dataDir: values['data-dir'], host: values.host });
  } catch (err) {
    console.error(`serve: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
}
