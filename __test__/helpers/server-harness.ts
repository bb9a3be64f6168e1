// Test harness for the server side: a WebSocketServer on 127.0.0.1:0, raw TCP handshakes, bounded reads.
import http from 'node:http'
import net from 'node:net'
import type { ExecutionContext } from 'ava'
import { WebSocketServer, type IServerConfig } from '../../ts/WebSocketServer.js'

/** The RFC 6455 §1.3 sample key and its accept value. */
export const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='
export const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
/** The start of the 101 our server answers `handshake()` with (the headers after it depend on the request). */
export const SWITCHING =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n`

export interface Harness {
  httpServer: http.Server
  wsServer: WebSocketServer
  port: number
}

/** Starts an http server + WebSocketServer (keepalive off unless asked) and registers their teardown. */
export async function startServer(
  t: ExecutionContext,
  config: Partial<IServerConfig> = {},
  httpOptions: http.ServerOptions = {},
): Promise<Harness> {
  const httpServer = http.createServer(httpOptions, (_req, res) => {
    res.writeHead(426).end()
  })
  const wsServer = new WebSocketServer({ keepalive: false, ...config, httpServer })
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const c of wsServer.connections.slice()) c.drop(1001, 'test over', true)
    wsServer.shutDown()
    httpServer.closeAllConnections()
    await new Promise<void>((resolve) => httpServer.close(() => resolve()))
  })
  const port = (httpServer.address() as net.AddressInfo).port
  return { httpServer, wsServer, port }
}

export interface HandshakeOptions {
  method?: string
  path?: string
  /** Headers to add or override (name → value); `null` removes a default header. */
  headers?: Record<string, string | null>
}

/** A raw opening handshake; defaults: GET /, Host, Upgrade, Connection, the sample key, version 13. */
export function handshake(opts: HandshakeOptions = {}): string {
  const headers: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': SAMPLE_KEY,
    'Sec-WebSocket-Version': '13',
    ...opts.headers,
  }
  let text = `${opts.method ?? 'GET'} ${opts.path ?? '/'} HTTP/1.1\r\n`
  for (const [name, value] of Object.entries(headers)) if (value !== null) text += `${name}: ${value}\r\n`
  return text + '\r\n'
}

export interface RawResult {
  /** Everything received, as latin1 text. */
  text: string
  /** Everything received. */
  bytes: Buffer
  /** The socket, still open when `until` matched before the server closed it. */
  socket: net.Socket
  /** True when the server closed the connection. */
  closed: boolean
}

/**
 * Opens a TCP connection, writes `payload`, and collects bytes until the server closes, or until `until` returns
 * true on the bytes so far. Fails (rejects) after `timeoutMs`. The socket is destroyed at teardown.
 */
export function rawExchange(
  t: ExecutionContext,
  port: number,
  payload: string | Buffer,
  until?: (received: Buffer) => boolean,
  timeoutMs = 5000,
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    t.teardown(() => {
      socket.destroy()
    })
    const chunks: Buffer[] = []
    let done = false
    const finish = (closed: boolean): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      const bytes = Buffer.concat(chunks)
      resolve({ text: bytes.toString('latin1'), bytes, socket, closed })
    }
    const timer = setTimeout(() => {
      if (done) return
      done = true
      socket.destroy()
      const got = JSON.stringify(Buffer.concat(chunks).toString('latin1'))
      reject(new Error(`no complete response within ${timeoutMs} ms; got ${got}`))
    }, timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      if (until?.(Buffer.concat(chunks))) finish(false)
    })
    socket.on('error', () => finish(true))
    socket.on('close', () => finish(true))
    socket.write(payload)
  })
}

/** Until the end of the response headers. */
export const headersComplete = (b: Buffer): boolean => b.includes('\r\n\r\n')

/** Resolves with the first emission of `event`, or rejects after `timeoutMs`. */
export function nextEvent<T extends unknown[]>(
  emitter: { once(event: string, listener: (...args: never[]) => void): unknown },
  event: string,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${timeoutMs} ms`)), timeoutMs)
    emitter.once(event, ((...args: T) => {
      clearTimeout(timer)
      resolve(args)
    }) as unknown as (...args: never[]) => void)
  })
}

/** Builds a masked client frame with mask key 01020304 (a client's frame as RFC 6455 §5.3 requires). */
export function maskedFrame(firstByte: number, payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4])
  const len = payload.length
  let header: Buffer
  if (len < 126) {
    header = Buffer.from([firstByte, 0x80 | len])
  } else if (len < 0x10000) {
    header = Buffer.from([firstByte, 0x80 | 126, len >> 8, len & 0xff])
  } else {
    header = Buffer.alloc(10)
    header[0] = firstByte
    header[1] = 0x80 | 127
    header.writeUInt32BE(len, 6)
  }
  const body = Buffer.alloc(len)
  for (let i = 0; i < len; i++) body[i] = (payload[i] as number) ^ (mask[i & 3] as number)
  return Buffer.concat([header, mask, body])
}
