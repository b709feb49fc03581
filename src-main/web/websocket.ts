// A small server side of the WebSocket protocol (RFC 6455) over Node's http `upgrade` event: the
// handshake, text messages (fragmented or not), ping/pong and the close handshake. No extensions.

import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The fixed GUID every server appends to the client's key (RFC 6455 §1.3). */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** Close codes this server sends (RFC 6455 §7.4.1). */
export const CLOSE_CODE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  tooBig: 1009,
} as const;

export class WebSocketProtocolError extends Error {
  override name = 'WebSocketProtocolError';
  constructor(
    message: string,
    readonly closeCode: number,
  ) {
    super(message);
  }
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** The `Sec-WebSocket-Accept` value that answers a client's `Sec-WebSocket-Key`. */
export function acceptKey(clientKey: string): string {
  return createHash('sha1')
    .update(clientKey + HANDSHAKE_GUID)
    .digest('base64');
}

/** One unmasked frame as the server sends it (servers never mask, RFC 6455 §5.1). */
export function encodeFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const first = (fin ? 0x80 : 0) | opcode;
  let header: Buffer;
  if (payload.length < 126) {
    header = Buffer.from([first, payload.length]);
  } else if (payload.length < 0x10000) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([header, payload]);
}

/**
 * Reads the frames at the start of `buffer`. Client frames must be masked; a frame longer than
 * `maxPayload` is refused before its payload arrives. Returns the frames and the bytes consumed.
 */
export function decodeFrames(buffer: Buffer, maxPayload: number): { frames: Frame[]; consumed: number } {
  const frames: Frame[] = [];
  let at = 0;
  while (buffer.length - at >= 2) {
    const b0 = buffer[at];
    const b1 = buffer[at + 1];
    if ((b0 & 0x70) !== 0) throw new WebSocketProtocolError('reserved bits set without an extension', 1002);
    if ((b1 & 0x80) === 0) throw new WebSocketProtocolError('client frames must be masked', 1002);
    let length = b1 & 0x7f;
    let headerLength = 2;
    if (length === 126) {
      if (buffer.length - at < 4) break;
      length = buffer.readUInt16BE(at + 2);
      headerLength = 4;
    } else if (length === 127) {
      if (buffer.length - at < 10) break;
      const long = buffer.readBigUInt64BE(at + 2);
      if (long > BigInt(maxPayload)) {
        throw new WebSocketProtocolError(`frame of ${long} bytes exceeds ${maxPayload}`, CLOSE_CODE.tooBig);
      }
      length = Number(long);
      headerLength = 10;
    }
    if (length > maxPayload) {
      throw new WebSocketProtocolError(`frame of ${length} bytes exceeds ${maxPayload}`, CLOSE_CODE.tooBig);
    }
    const opcode = b0 & 0x0f;
    const control = (opcode & 0x8) !== 0;
    if (control && (length > 125 || (b0 & 0x80) === 0)) {
      throw new WebSocketProtocolError('control frames must be short and unfragmented', 1002);
    }
    const total = headerLength + 4 + length;
    if (buffer.length - at < total) break;
    const mask = buffer.subarray(at + headerLength, at + headerLength + 4);
    const payload = Buffer.from(buffer.subarray(at + headerLength + 4, at + total));
    for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    frames.push({ fin: (b0 & 0x80) !== 0, opcode, payload });
    at += total;
  }
  return { frames, consumed: at };
}

export interface WebSocketOptions {
  /** The largest message accepted from the client, in bytes. */
  maxMessageBytes: number;
  onMessage: (text: string) => void;
  onClose: (code: number) => void;
}

/** One open connection: send text, close, and see whether it is still open. */
export class WebSocketConnection {
  private pending: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentsBytes = 0;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly opts: WebSocketOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.finish(CLOSE_CODE.goingAway));
    socket.on('error', () => this.finish(CLOSE_CODE.goingAway));
  }

  get open(): boolean {
    return !this.closed;
  }

  send(text: string): void {
    if (this.closed) return;
    this.socket.write(encodeFrame(OPCODE.text, Buffer.from(text, 'utf8')));
  }

  close(code: number = CLOSE_CODE.normal, reason = ''): void {
    if (this.closed) return;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    this.socket.end(encodeFrame(OPCODE.close, payload));
    this.finish(code);
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.opts.onClose(code);
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let frames: Frame[];
    try {
      const decoded = decodeFrames(this.pending, this.opts.maxMessageBytes);
      frames = decoded.frames;
      this.pending = this.pending.subarray(decoded.consumed);
    } catch (err) {
      const protocolError = err as WebSocketProtocolError;
      this.close(protocolError.closeCode, protocolError.message.slice(0, 100));
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.handle(frame);
    }
  }

  private handle(frame: Frame): void {
    switch (frame.opcode) {
      case OPCODE.ping:
        this.socket.write(encodeFrame(OPCODE.pong, frame.payload));
        return;
      case OPCODE.pong:
        return;
      case OPCODE.close: {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : CLOSE_CODE.normal;
        this.close(code === 1005 || code === 1006 ? CLOSE_CODE.normal : code);
        return;
      }
      case OPCODE.binary:
        this.close(CLOSE_CODE.unsupportedData, 'text messages only');
        return;
      case OPCODE.text:
      case OPCODE.continuation: {
        if ((frame.opcode === OPCODE.text) !== (this.fragments.length === 0)) {
          this.close(CLOSE_CODE.protocolError, 'unexpected continuation');
          return;
        }
        this.fragments.push(frame.payload);
        this.fragmentsBytes += frame.payload.length;
        if (this.fragmentsBytes > this.opts.maxMessageBytes) {
          this.close(CLOSE_CODE.tooBig, 'message too big');
          return;
        }
        if (!frame.fin) return;
        const text = Buffer.concat(this.fragments).toString('utf8');
        this.fragments = [];
        this.fragmentsBytes = 0;
        this.opts.onMessage(text);
        return;
      }
      default:
        this.close(CLOSE_CODE.protocolError, `unknown opcode ${frame.opcode}`);
    }
  }
}

/**
 * Completes the opening handshake on an `upgrade` request and returns the connection, or answers
 * 400 and returns null when the request is not a WebSocket version 13 handshake.
 */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  opts: WebSocketOptions,
): WebSocketConnection | null {
  const key = req.headers['sec-websocket-key'];
  const upgrade = req.headers.upgrade?.toLowerCase();
  if (upgrade !== 'websocket' || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return null;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
  );
  const connection = new WebSocketConnection(socket, opts);
  if (head.length > 0) socket.unshift(head);
  return connection;
}
