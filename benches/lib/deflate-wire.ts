/**
 * The client side of permessage-deflate (RFC 7692) for the raw load generator: the offer and its answer, frames
 * compressed ahead of time with context takeover, and a parser + inflater that turns the server's replies back into
 * whole messages so every echo can be compared with what was sent. Node's zlib only; no WebSocket library.
 */
import net from 'node:net'
import zlib from 'node:zlib'
import { maskedFrame } from './workloads.js'

/** §7.2.1: a sync flush ends with this empty stored block; the sender removes it, the receiver puts it back. */
export const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff])

/** What the load generator offers: the defaults (context takeover both ways, 15-bit windows). */
export const OFFER = 'permessage-deflate; client_max_window_bits'

/** The agreed parameters from a 101's `Sec-WebSocket-Extensions`, or null when compression was not agreed. */
export interface Agreed {
  serverNoContextTakeover: boolean
  clientNoContextTakeover: boolean
  serverMaxWindowBits: number
  clientMaxWindowBits: number
}

/** Reads `Sec-WebSocket-Extensions` out of a raw HTTP response head (only the permessage-deflate element). */
export function agreedFromResponse(head: string): Agreed | null {
  const values = head
    .split('\r\n')
    .filter((l) => /^sec-websocket-extensions\s*:/i.test(l))
    .map((l) => l.slice(l.indexOf(':') + 1))
  for (const element of values.join(',').split(',')) {
    const [name, ...params] = element.split(';').map((s) => s.trim())
    if (name !== 'permessage-deflate') continue
    const a: Agreed = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }
    for (const p of params) {
      const [k, v] = p.split('=').map((s) => s.trim().replace(/^"|"$/g, ''))
      if (k === 'server_no_context_takeover') a.serverNoContextTakeover = true
      else if (k === 'client_no_context_takeover') a.clientNoContextTakeover = true
      else if (k === 'server_max_window_bits') a.serverMaxWindowBits = Number(v)
      else if (k === 'client_max_window_bits') a.clientMaxWindowBits = v === undefined ? 15 : Number(v)
    }
    return a
  }
  return null
}

/** Drains a zlib stream's output for one flush. */
function flushed(z: zlib.DeflateRaw | zlib.InflateRaw, input: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const onData = (c: Buffer) => chunks.push(c)
    const onError = (err: Error) => {
      z.off('data', onData)
      reject(err)
    }
    z.on('data', onData)
    z.once('error', onError)
    for (const b of input) z.write(b)
    z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      z.off('data', onData)
      z.off('error', onError)
      resolve(Buffer.concat(chunks))
    })
  })
}

/**
 * Compresses `messages` in order through ONE deflater, sync-flushing after each and stripping the trailer: the
 * payloads a client with context takeover would send (Node zlib defaults: level 6, memLevel 8, 15-bit window).
 * Replaying them in order from the first is always valid for a peer with context takeover, also after wrapping
 * round to the first again: payload k only refers back into messages 0..k, which precede it again on every lap
 * (payload 0 refers to nothing before itself).
 */
export async function deflateSequence(messages: Buffer[], level = zlib.constants.Z_DEFAULT_COMPRESSION): Promise<Buffer[]> {
  const d = zlib.createDeflateRaw({ windowBits: 15, level })
  const out: Buffer[] = []
  for (const m of messages) {
    const c = await flushed(d, [m])
    if (!c.subarray(c.length - 4).equals(TRAILER)) throw new Error('deflateSequence: sync flush without 00 00 ff ff')
    out.push(c.subarray(0, c.length - 4))
  }
  d.close()
  return out
}

/** The load generators' upgrade request (a fixed key: the servers under test only echo), plus `extra` header lines. */
export function upgradeRequest(port: number, extra = ''): Buffer {
  return Buffer.from(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
  )
}

/**
 * Connect to 127.0.0.1:`port` (no Nagle), send `request` and wait for the 101: resolves with the socket and the
 * response head (latin1, without the blank line); bytes after the head, and all later ones, go to `onData`.
 */
export function upgradeSocket(port: number, request: Buffer, onData: (b: Buffer) => void): Promise<{ socket: net.Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true })
    let head = Buffer.alloc(0)
    const onHead = (b: Buffer) => {
      head = Buffer.concat([head, b])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      const text = head.subarray(0, end).toString('latin1')
      if (!text.slice(0, 12).includes('101')) {
        reject(new Error(`upgrade refused: ${text.slice(0, 40)}`))
        s.destroy()
        return
      }
      s.off('data', onHead)
      s.on('data', onData)
      resolve({ socket: s, head: text })
      if (end + 4 < head.length) onData(head.subarray(end + 4))
    }
    s.on('data', onHead)
    s.once('error', reject)
    s.write(request)
  })
}

/** One client-to-server frame: FIN, RSV1 when `compressed`, masked with `key` (RFC 6455 §5.2, RFC 7692 §6). */
export function clientFrame(payload: Buffer, opts: { opcode: number; compressed: boolean; key: Buffer }): Buffer {
  return maskedFrame((opts.compressed ? 0x40 : 0) | opts.opcode, payload, opts.key)
}

/** One whole data message as it came off the wire. */
export interface WireMessage {
  opcode: number
  /** RSV1 on the first frame: the payload is compressed. */
  compressed: boolean
  /** Payload of all fragments joined (still compressed when `compressed`). */
  payload: Buffer
  /** Every byte the message took on the wire: frame headers + payloads of all its fragments. */
  wireBytes: number
}

/**
 * Splits a server-to-client byte stream (unmasked frames, any fragmentation, control frames interleaved) into
 * whole data messages. Throws on a masked frame, RSV1 on a continuation, or a continuation with nothing open.
 */
export class MessageParser {
  private buf: Buffer = Buffer.alloc(0)
  private parts: Buffer[] = []
  private opcode = -1
  private compressed = false
  private wire = 0
  constructor(private readonly onMessage: (m: WireMessage) => void) {}

  feed(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    for (;;) {
      const b = this.buf
      if (b.length < 2) return
      const len7 = b[1]! & 0x7f
      const hl = len7 < 126 ? 2 : len7 === 126 ? 4 : 10
      if (b.length < hl) return
      if ((b[1]! & 0x80) !== 0) throw new Error('server frame is masked')
      const len = len7 < 126 ? len7 : len7 === 126 ? b.readUInt16BE(2) : Number(b.readBigUInt64BE(2))
      if (b.length < hl + len) return
      const fin = (b[0]! & 0x80) !== 0
      const rsv1 = (b[0]! & 0x40) !== 0
      const op = b[0]! & 0x0f
      const payload = b.subarray(hl, hl + len)
      this.buf = b.subarray(hl + len)
      if (op >= 8) continue
      if (op === 0) {
        if (this.opcode < 0) throw new Error('continuation frame with no message open')
        if (rsv1) throw new Error('RSV1 on a continuation frame')
      } else {
        if (this.opcode >= 0) throw new Error('new message before the previous one ended')
        this.opcode = op
        this.compressed = rsv1
      }
      this.parts.push(payload)
      this.wire += hl + len
      if (fin) {
        const m: WireMessage = {
          opcode: this.opcode,
          compressed: this.compressed,
          payload: this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts),
          wireBytes: this.wire,
        }
        this.parts = []
        this.opcode = -1
        this.wire = 0
        this.onMessage(m)
      }
    }
  }
}

/** The receiving side of one connection's compressed stream, context kept across messages (§7.2.2). */
export class MessageInflater {
  private readonly z = zlib.createInflateRaw({ windowBits: 15 })
  constructor() {
    this.z.on('error', () => {})
  }

  inflate(payload: Buffer): Promise<Buffer> {
    return flushed(this.z, [payload, TRAILER])
  }

  close(): void {
    this.z.close()
  }
}
