// Which addresses serve mode may bind without a word, and what it says about any other.

/** The loopback names: only this machine can connect, and the Host header check applies. */
export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

/** The warning printed before serving on a non-loopback address; null for loopback. */
export function hostWarning(host: string): string | null {
  if (isLoopback(host)) return null;
  return (
    `Warning: --host ${host} serves the studio beyond this machine. Anyone who can reach this address ` +
    'and has the access token can start and delete runs, import any file this account can read, and ' +
    'write exports into any folder it can write; the traffic, token included, is plain HTTP, not ' +
    'encrypted. On an untrusted network serve on 127.0.0.1 and connect through an SSH tunnel instead ' +
    '(ssh -L 8080:127.0.0.1:8080 this-machine).'
  );
}
