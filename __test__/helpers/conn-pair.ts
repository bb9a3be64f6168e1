/**
 * A WebSocketConnection over a real TCP pair on 127.0.0.1, the other end a raw socket the test drives with hex
 * frames. role 'server': our connection is the server (maskOutgoingPackets false), the raw peer writes masked
 * frames. role 'client': the mirror (we mask, the raw peer writes unmasked frames).
 */
import { once } from 'node:events'
import net from 'node:net'
import type { ExecutionContext } from 'ava'
import type { ConnectionConfig } from '../../ts/config.js'
import type { Extension } from '../../ts/connection/types.js'
import { WebSocketConnection } from '../../ts/WebSocketConnection.js'

export type Role = 'server' | 'client'

/** A frame as seen on the wire by the raw peer. */
export interface WireFrame {
  fin: boolean
  rsv: number
  opcode: number
  masked: boolean
  key: Buffer | null
  payload: Buffer
}

/** Fixed key so test bytes are reproducible. */
export const TEST_KEY = Buffer.from('37fa213d', 'hex')

/** WebSocket-Node's server defaults, keepalive off so tests own their timers. */
export const SERVER_DEFAULTS: ConnectionConfig = {
  maxReceivedFrameSize: 0x10000,
  maxReceivedMessageSize: 0x100000,
  fragmentOutgoingMessages: true,
  fragmentationThreshold: 0x4000,
  keepalive: false,
  assembleFragments: true,
  disableNagleAlgorithm: true,
  closeTimeout: 5000,
}

/**
 * Turns an unmasked frame written in hex into what the raw peer must send for `role`: masked with TEST_KEY (or
 * `key`) when our side is the server, unchanged otherwise. Accepts several frames concatenated.
 */
export function peerBytes(role: Role, hex: string | Buffer, key: Buffer = TEST_KEY): Buffer {
  const src = typeof hex === 'string' ? Buffer.from(hex, 'hex') : hex
  if (role === 'client') return src
  const parts: Buffer[] = []
  let i = 0
  while (i < src.length) {
    const b1 = src[i + 1] as number
    let len = b1 & 0x7f
    let hl = 2
    if (len === 126) {
      len = src.readUInt16BE(i + 2)
      hl = 4
    } else if (len === 127) {
      len = Number(src.readBigUInt64BE(i + 2))
      hl = 10
    }
    const header = Buffer.from(src.subarray(i, i + hl))
    header[1] = (header[1] as number) | 0x80
    const payload = Buffer.from(src.subarray(i + hl, i + hl + len))
    for (let j = 0; j < payload.length; j++) payload[j] = (payload[j] as number) ^ (key[j & 3] as number)
    parts.push(header, key, payload)
    i += hl + len
  }
  return Buffer.concat(parts)
}

/** Builds an unmasked frame (hex) — for payloads too long to write by hand. */
export function frameHex(firstByte: number, payload: Buffer | string): string {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload
  let h: Buffer
  if (p.length < 126) h = Buffer.from([firstByte, p.length])
  else if (p.length < 0x10000) {
    h = Buffer.from([firstByte, 126, 0, 0])
    h.writeUInt16BE(p.length, 2)
  } else {
    h = Buffer.alloc(10)
    h[0] = firstByte
    h[1] = 127
    h.writeBigUInt64BE(BigInt(p.length), 2)
  }
  return h.toString('hex') + p.toString('hex')
}

/** Decodes frames from bytes; returns the frames and how many bytes they used. */
export function decodeFrames(buf: Buffer): { frames: WireFrame[]; used: number } {
  const frames: WireFrame[] = []
  let i = 0
  for (;;) {
    if (buf.length - i < 2) break
    const b0 = buf[i] as number
    const b1 = buf[i + 1] as number
    let len = b1 & 0x7f
    let hl = 2
    if (len === 126) {
      if (buf.length - i < 4) break
      len = buf.readUInt16BE(i + 2)
      hl = 4
    } else if (len === 127) {
      if (buf.length - i < 10) break
      len = Number(buf.readBigUInt64BE(i + 2))
      hl = 10
    }
    const masked = (b1 & 0x80) !== 0
    if (masked) hl += 4
    if (buf.length - i < hl + len) break
    const key = masked ? Buffer.from(buf.subarray(i + hl - 4, i + hl)) : null
    const payload = Buffer.from(buf.subarray(i + hl, i + hl + len))
    if (key) for (let j = 0; j < payload.length; j++) payload[j] = (payload[j] as number) ^ (key[j & 3] as number)
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, key, payload })
    i += hl + len
  }
  return { frames, used: i }
}

export interface CloseEvent {
  code: number
  description: string
}

export interface Pair {
  role: Role
  conn: WebSocketConnection
  /** The raw peer. */
  peer: net.Socket
  /** Everything the raw peer received so far. */
  wire: () => Buffer
  /** Frames the raw peer received so far. */
  frames: () => WireFrame[]
  /** Write hex frames (unmasked notation) as the peer, masked as its role requires. */
  send: (hex: string | Buffer) => void
  /** Resolves when the predicate over the received frames holds; rejects after `ms`. */
  waitFrames: (pred: (frames: WireFrame[]) => boolean, ms?: number) => Promise<WireFrame[]>
  /** The connection's 'close' event (rejects after `ms`). */
  closed: (ms?: number) => Promise<CloseEvent>
  /** Whether the raw peer saw its socket end/close. */
  peerEnded: () => Promise<void>
}

/**
 * A bound against hangs, never a speed assertion: on a loaded 2-core machine the concurrent tests of one file can
 * keep its event loop busy for seconds (text-pieces' concurrent group took 5–8 s in a CI run at load 6, and a 5 s
 * wait for a loopback frame timed out), so no wait is bounded below this.
 */
export const MIN_WAIT_MS = 20_000

/** Waits for `p`, failing after `ms` (at least MIN_WAIT_MS) with `what` in the message. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const bound = Math.max(ms, MIN_WAIT_MS)
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${bound} ms waiting for ${what}`)), bound)
    }),
  ])
}

/**
 * Opens the pair; everything is torn down in t.teardown. `options.extensions`: the extensions the handshake agreed
 * on (e.g. `PMD` with `perMessageDeflate: true` in `config`).
 */
export async function connPair(
  t: ExecutionContext,
  role: Role,
  config: ConnectionConfig = {},
  options: { listen?: boolean; extensions?: Extension[] } = {},
): Promise<Pair> {
  // Half-open allowed on both ends, as on http servers' sockets: each side decides when to end.
  const server = net.createServer({ allowHalfOpen: true })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  const accepted = once(server, 'connection') as Promise<[net.Socket]>
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  await once(client, 'connect')
  const [serverSocket] = await accepted
  const ours = role === 'server' ? serverSocket : client
  const peer = role === 'server' ? client : serverSocket
  peer.on('error', () => {})
  let conn: WebSocketConnection | undefined
  t.teardown(() => {
    conn?.removeAllListeners()
    conn?.on('error', () => {})
    ours.destroy()
    peer.destroy()
    server.close()
  })
  const extensions = options.extensions ?? []
  conn = new WebSocketConnection(ours, extensions, undefined, role === 'client', { ...SERVER_DEFAULTS, ...config })
  let closeEvent: CloseEvent | null = null
  const closeWaiters: Array<(e: CloseEvent) => void> = []
  conn.on('close', (code: number, description: string) => {
    closeEvent = { code, description }
    for (const w of closeWaiters.splice(0)) w(closeEvent)
  })
  if (options.listen !== false) conn._addSocketEventListeners()

  let received = Buffer.alloc(0)
  const frameWaiters = new Set<() => void>()
  peer.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d])
    for (const w of [...frameWaiters]) w()
  })
  const peerEnd = new Promise<void>((resolve) => {
    peer.once('end', resolve)
    peer.once('close', () => resolve())
  })
  const frames = (): WireFrame[] => decodeFrames(received).frames
  return {
    role,
    conn,
    peer,
    wire: () => received,
    frames,
    send: (hex) => {
      peer.write(peerBytes(role, hex))
    },
    waitFrames: (pred, ms = 3000) => {
      if (pred(frames())) return Promise.resolve(frames())
      return within(
        new Promise<WireFrame[]>((resolve) => {
          const check = (): void => {
            if (pred(frames())) {
              frameWaiters.delete(check)
              resolve(frames())
            }
          }
          frameWaiters.add(check)
        }),
        ms,
        'frames on the wire',
      )
    },
    closed: (ms = 3000) =>
      closeEvent
        ? Promise.resolve(closeEvent)
        : within(
            new Promise<CloseEvent>((resolve) => closeWaiters.push(resolve)),
            ms,
            "the connection's 'close' event",
          ),
    peerEnded: () => within(peerEnd, 3000, 'the peer socket to end'),
  }
}

/** Close frame payload → { code, reason } (code 1005 when empty). */
export function closeOf(f: WireFrame): { code: number; reason: string } {
  if (f.payload.length < 2) return { code: 1005, reason: '' }
  return { code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString('utf8') }
}

/** permessage-deflate as agreed with no parameters (context takeover, 15-bit windows both ways). */
export const PMD: Extension[] = [{ name: 'permessage-deflate', params: [] }]

/** Runs the body once per role. */
export const ROLES: Role[] = ['server', 'client']

/** Polls `cond` every 5 ms; rejects after `ms`. */
export function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      const tick = (): void => {
        if (cond()) resolve()
        else setTimeout(tick, 5)
      }
      tick()
    }),
    ms,
    what,
  )
}

/** Collects 'message' events as { type, data } with text or hex payloads (readable in deepEqual). */
export function collect(p: Pair): Array<{ t: string; d: string }> {
  const got: Array<{ t: string; d: string }> = []
  p.conn.on('message', (m) => {
    got.push(m.type === 'utf8' ? { t: 'text', d: m.utf8Data } : { t: 'binary', d: m.binaryData.toString('hex') })
  })
  return got
}
