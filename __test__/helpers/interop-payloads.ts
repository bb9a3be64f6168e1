// The interop matrix's script, shared by every pair: the payloads (generated identically in TS, in Python —
// __test__/fixtures/interop-common.py — and in the browser script), the command messages a peer server obeys,
// the close cases, and the report shapes both ends produce. Payloads are compared by SHA-256, so a 1 MiB
// mismatch fails with two short hashes, not a megabyte diff.
import { createHash } from 'node:crypto'

/** Message sizes in bytes: empty, the 7-bit/16-bit/64-bit length-encoding boundaries, and 1 MiB. */
export const SIZES = [0, 125, 126, 65535, 65536, 1048576] as const
export type Kind = 'text' | 'binary'
export const KINDS: readonly Kind[] = ['text', 'binary']
/** Offered by every client; every server selects `echo`. */
export const PROTOCOLS = ['echo', 'x-other']
export const SELECTED = 'echo'
/** Ping payloads: client→server and server→client (the latter asked for with `cmd:ping:<hex>`). */
export const CLIENT_PING = Buffer.from('ping from client ✓', 'utf8')
export const SERVER_PING = Buffer.from('ping from server ✓', 'utf8')

/** One message as one end saw it. */
export interface Msg {
  kind: Kind
  size: number
  sha256: string
}
export type Close = [code: number, reason: string]

/** What a client reports for one connection. */
export interface ClientReport {
  protocol: string
  /** The echoes of the payload sequence, in order (main connection only). */
  echoes: Msg[]
  /** Hex payload of the pong answering CLIENT_PING; null when the client has no ping API (browsers, W3C). */
  pong: string | null
  /** Hex payload in the server's `pong-ok:<hex>` (server pinged, client ponged, server reported it). */
  serverPing: string | null
  close: Close
}

/** What a server records for one connection (keyed by the request path). */
export interface ServerRecord {
  protocol: string
  origin: string | null
  /** The raw `Sec-WebSocket-Extensions` request header, if any. */
  extensionsOffered: string | null
  received: Msg[]
  /** Hex payloads of pings the server saw (only servers that expose pings). */
  pings: string[]
  close: Close
}

/**
 * `n` bytes of UTF-8 cycling through 1-, 2-, 3- and 4-byte characters ('a', 'é', '€', '😀'); a unit that would
 * overshoot is replaced by 'x', so every size gets exactly `n` bytes and multibyte characters where they fit.
 */
export function textPayload(n: number): string {
  const units = ['a', 'é', '€', '😀']
  const parts: string[] = []
  let left = n
  for (let k = 0; left > 0; k++) {
    const u = units[k % 4] as string
    const len = Buffer.byteLength(u)
    const pick = len <= left ? u : 'x'
    parts.push(pick)
    left -= pick === 'x' ? 1 : len
  }
  return parts.join('')
}

/** `n` bytes, byte i = (i * 131 + n + 7) mod 251: every value, no period aligned with frame boundaries. */
export function binaryPayload(n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = (i * 131 + n + 7) % 251
  return b
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

export interface Step {
  kind: Kind
  size: number
  payload: string | Buffer
}

/** The payload sequence, text then binary at each size. */
export function sequence(): Step[] {
  const steps: Step[] = []
  for (const size of SIZES) {
    for (const kind of KINDS) {
      steps.push({ kind, size, payload: kind === 'text' ? textPayload(size) : binaryPayload(size) })
    }
  }
  return steps
}

/** The Msg list both ends must report for the sequence. */
export function expectedMessages(): Msg[] {
  return sequence().map((s) => ({ kind: s.kind, size: s.size, sha256: sha256(s.payload) }))
}

/** Close cases: who initiates, the code, the reason (multibyte where the peer API allows one). */
export interface CloseCase {
  id: string
  by: 'client' | 'server'
  code: number
  reason: string
}

export const CLOSE_CASES: CloseCase[] = [
  { id: 'client-1000', by: 'client', code: 1000, reason: 'client done ✓' },
  { id: 'client-1001', by: 'client', code: 1001, reason: 'client going away' },
  { id: 'client-4000', by: 'client', code: 4000, reason: 'client app close 𝄞' },
  { id: 'server-1000', by: 'server', code: 1000, reason: 'server done ✓' },
  { id: 'server-1001', by: 'server', code: 1001, reason: 'server going away' },
  { id: 'server-4000', by: 'server', code: 4000, reason: 'server app close 𝄞' },
]

/** The text command asking a server to close with (code, reason). */
export const closeCommand = (code: number, reason: string): string => `cmd:close:${code}:${reason}`
/** The text command asking a server to ping with SERVER_PING and answer `pong-ok:<hex>` once the pong is in. */
export const pingCommand = (): string => `cmd:ping:${SERVER_PING.toString('hex')}`

/** A parsed command, or null for ordinary (echoed) messages. */
export function parseCommand(text: string): { close: Close } | { ping: Buffer } | null {
  const close = /^cmd:close:(\d+):(.*)$/su.exec(text)
  if (close) return { close: [Number(close[1]), close[2] ?? ''] }
  const ping = /^cmd:ping:([0-9a-f]*)$/u.exec(text)
  if (ping) return { ping: Buffer.from(ping[1] ?? '', 'hex') }
  return null
}

/** Rejects with `label` if `p` has not settled within `ms`. */
export function within<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: nothing within ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
