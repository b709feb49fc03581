// The WebSocket framing: the handshake key, server frames of each length class, masked client
// frames (split across reads, fragmented, oversized, unmasked) decoded or refused.

import { describe, expect, it } from 'vitest';
import { acceptKey, decodeFrames, encodeFrame, OPCODE, WebSocketProtocolError } from './websocket';

/** A client frame: masked, as browsers send them. */
function clientFrame(opcode: number, payload: Buffer, fin = true, mask = Buffer.from([1, 2, 3, 4])): Buffer {
  const server = encodeFrame(opcode, payload, fin);
  const headerLength = server.length - payload.length;
  const header = Buffer.from(server.subarray(0, headerLength));
  header[1] |= 0x80;
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i & 3];
  return Buffer.concat([header, mask, masked]);
}

describe('websocket framing', () => {
  it('answers the handshake key with the value from RFC 6455 section 1.3', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('encodes the three payload length classes', () => {
    expect([...encodeFrame(OPCODE.text, Buffer.from('hi'))]).toEqual([0x81, 2, 104, 105]);
    const medium = encodeFrame(OPCODE.text, Buffer.alloc(300));
    expect([medium[1], medium.readUInt16BE(2), medium.length]).toEqual([126, 300, 304]);
    const large = encodeFrame(OPCODE.text, Buffer.alloc(70_000));
    expect([large[1], Number(large.readBigUInt64BE(2)), large.length]).toEqual([127, 70_000, 70_010]);
  });

  it('unmasks client frames and waits for a frame split across reads', () => {
    const frame = clientFrame(OPCODE.text, Buffer.from('hello, studio'));
    const first = decodeFrames(frame.subarray(0, 7), 1000);
    expect(first).toEqual({ frames: [], consumed: 0 });
    const whole = decodeFrames(Buffer.concat([frame, clientFrame(OPCODE.ping, Buffer.from('p'))]), 1000);
    expect(whole.consumed).toBe(frame.length + 7);
    expect(whole.frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [OPCODE.text, 'hello, studio'],
      [OPCODE.ping, 'p'],
    ]);
  });

  it('decodes a 16-bit length frame and keeps the fin bit of fragments', () => {
    const text = 'x'.repeat(1000);
    const { frames } = decodeFrames(clientFrame(OPCODE.text, Buffer.from(text), false), 2000);
    expect(frames[0].fin).toBe(false);
    expect(frames[0].payload.toString()).toBe(text);
  });

  it('refuses unmasked frames, oversized frames and fragmented control frames', () => {
    const codeOf = (buffer: Buffer, max = 100): number => {
      try {
        decodeFrames(buffer, max);
      } catch (err) {
        return (err as WebSocketProtocolError).closeCode;
      }
      return 0;
    };
    expect(codeOf(encodeFrame(OPCODE.text, Buffer.from('plain')))).toBe(1002);
    expect(codeOf(clientFrame(OPCODE.text, Buffer.alloc(101)))).toBe(1009);
    expect(codeOf(clientFrame(OPCODE.ping, Buffer.from('x'), false))).toBe(1002);
  });
});
