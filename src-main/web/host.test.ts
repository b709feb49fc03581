// Serving beyond this machine is said out loud: any non-loopback --host gets a warning that names
// the address and the risk; the loopback names get none.

import { describe, expect, it } from 'vitest';
import { hostWarning } from './host';

describe('hostWarning', () => {
  it('is silent on loopback and names the address and the risk on any other', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1']) expect(hostWarning(host)).toBeNull();
    for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
      const warning = hostWarning(host) ?? '';
      expect(warning).toContain(`--host ${host}`);
      expect(warning).toMatch(/access token/);
      expect(warning).toMatch(/not encrypted/);
      expect(warning).toMatch(/SSH tunnel/);
    }
  });
});
