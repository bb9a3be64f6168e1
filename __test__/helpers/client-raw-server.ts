// A hand-written WebSocket "server" over raw TCP, to play the misbehaving peer our client must survive:
// it parses the upgrade request and lets each test write whatever bytes it wants back.
import { createHash } from 'node:crypto'
import net from 'node:net'
import type { ExecutionContext } from 'ava'

export interface RawRequest {
  requestLine: string
  /** Header names lower-cased; repeated headers joined with ', '. */
  headers: Record<string, string>
  /** The raw request head, up to and including the blank line. */
  raw: string
  key: string
  /** Bytes the client sent after the request head. */
  rest: Buffer
}

export interface RawServer {
  port: number
  url: string
  /** Requests seen, in order. */
  requests: RawRequest[]
}

/** RFC 6455 §4.2.2 accept value for a key. */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64')
}

/** A 101 response head. `extra` lines are added verbatim; `accept` overrides the computed key. */
export function response101(req: RawRequest, extra: string[] = [], accept?: string): string {
  return (
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${accept ?? acceptFor(req.key)}`,
      ...extra,
    ].join('\r\n') + '\r\n\r\n'
  )
}

/** An unmasked server frame header + payload with minimal length encoding (or a forced 64-bit length). */
export function serverFrame(opcode: number, payload: Buffer | string, opts: { fin?: boolean } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  const b0 = (opts.fin === false ? 0 : 0x80) | opcode
  let head: Buffer
  if (data.length < 126) head = Buffer.from([b0, data.length])
  else if (data.length < 65536) {
    head = Buffer.alloc(4)
    head[0] = b0
    head[1] = 126
    head.writeUInt16BE(data.length, 2)
  } else {
    head = Buffer.alloc(10)
    head[0] = b0
    head[1] = 127
    head.writeBigUInt64BE(BigInt(data.length), 2)
  }
  return Buffer.concat([head, data])
}

/** A decoded client frame. */
export interface ClientFrame {
  fin: boolean
  opcode: number
  masked: boolean
  payload: Buffer
}

/** Incremental parser of the (masked) frames our client sends. */
export class FrameReader {
  private buf = Buffer.alloc(0)
  readonly frames: ClientFrame[] = []
  private waiters: Array<() => void> = []

  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk])
    for (;;) {
      if (this.buf.length < 2) break
      const b0 = this.buf[0]!
      const b1 = this.buf[1]!
      let len = b1 & 0x7f
      let off = 2
      if (len === 126) {
        if (this.buf.length < 4) break
        len = this.buf.readUInt16BE(2)
        off = 4
      } else if (len === 127) {
        if (this.buf.length < 10) break
        len = Number(this.buf.readBigUInt64BE(2))
        off = 10
      }
      const masked = (b1 & 0x80) !== 0
      const maskOff = off
      if (masked) off += 4
      if (this.buf.length < off + len) break
      const payload = Buffer.from(this.buf.subarray(off, off + len))
      if (masked) for (let i = 0; i < len; i++) payload[i]! ^= this.buf[maskOff + (i & 3)]!
      this.frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked, payload })
      this.buf = this.buf.subarray(off + len)
    }
    for (const w of this.waiters.splice(0)) w()
  }

  /** Resolve with the first frame of `opcode` (waiting for it), or reject after `ms`. */
  async waitFor(opcode: number, ms = 3000): Promise<ClientFrame> {
    const deadline = Date.now() + ms
    for (;;) {
      const f = this.frames.find((x) => x.opcode === opcode)
      if (f) return f
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no frame with opcode ${opcode} within ${ms} ms`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }
}

/**
 * Start a raw server on 127.0.0.1:0; `onRequest` runs once per connection after the request head arrived.
 * Everything is torn down with the test.
 */
export async function rawServer(
  t: ExecutionContext,
  onRequest: (req: RawRequest, socket: net.Socket) => void,
  opts: { allowHalfOpen?: boolean } = {},
): Promise<RawServer> {
  const sockets = new Set<net.Socket>()
  const requests: RawRequest[] = []
  const server = net.createServer({ allowHalfOpen: opts.allowHalfOpen ?? false }, (socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end === -1) return
      socket.removeListener('data', onData)
      const raw = head.subarray(0, end + 4).toString('latin1')
      const [requestLine = '', ...lines] = raw.slice(0, -4).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const i = line.indexOf(':')
        const name = line.slice(0, i).trim().toLowerCase()
        const value = line.slice(i + 1).trim()
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
      }
      const req: RawRequest = {
        requestLine,
        headers,
        raw,
        key: headers['sec-websocket-key'] ?? '',
        rest: head.subarray(end + 4),
      }
      requests.push(req)
      onRequest(req, socket)
    }
    socket.on('data', onData)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no address')
  return { port: address.port, url: `ws://127.0.0.1:${address.port}/`, requests }
}
