// Fault injection for the durable writers, no mount needed: real files on a "disk" that fills up.

import { nodeFs, type DurableFs } from '../durable-fs';

/** An error as Node's fs reports it, e.g. errno('ENOSPC'). */
export function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/** Real files, but writes stop with ENOSPC once `capacity` bytes have been written in total. */
export function diskWithRoomFor(capacity: number): DurableFs {
  let used = 0;
  return {
    ...nodeFs,
    async open(path, flags) {
      const handle = await nodeFs.open(path, flags);
      return {
        sync: () => handle.sync(),
        close: () => handle.close(),
        async write(buffer, offset, length) {
          const room = capacity - used;
          if (room <= 0) throw errno('ENOSPC');
          // Like a real disk: fill what space is left, then fail on the next call.
          const result = await handle.write(buffer, offset, Math.min(length, room));
          used += result.bytesWritten;
          return result;
        },
      };
    },
  };
}
