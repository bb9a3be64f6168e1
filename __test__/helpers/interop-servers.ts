// Server ends of the interop matrix: ours (WebSocketServer from the public entry, which also serves the browser
// page), and the peers `ws`, `websocket@1.0.35` and Python `websockets` (a child process running
// __test__/fixtures/interop-peer.py server). All obey the same script (interop-payloads.ts): echo every message,
// `cmd:ping:<hex>` → ping, then `pong-ok:<hex>` once the pong is in, `cmd:close:<code>:<reason>` → close; all
// record what they saw per connection, keyed by the request path (the close-case id).
import { spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ExecutionContext } from 'ava'
import websocketNode from 'websocket'
import { WebSocketServer as WsServer } from 'ws'
import { python } from '../../scripts/python-env.mjs'
import { WebSocketServer, type IMessage, type PerMessageDeflateOptions } from '../../ts/index.js'
import { LIMITS } from './interop-clients.js'
import { SELECTED, parseCommand, sha256, within, type Close, type Msg, type ServerRecord } from './interop-payloads.js'

const here = path.dirname(fileURLToPath(import.meta.url))

/** Collects one ServerRecord per connection id; `get` waits (bounded) until that connection has closed. */
export class Records {
  private readonly done = new Map<string, ServerRecord>()
  private readonly waiters = new Map<string, (r: ServerRecord) => void>()
  add(id: string, r: ServerRecord): void {
    this.done.set(id, r)
    this.waiters.get(id)?.(r)
  }
  get(id: string): Promise<ServerRecord> {
    const r = this.done.get(id)
    if (r) return Promise.resolve(r)
    return within(new Promise((resolve) => this.waiters.set(id, resolve)), 10000, `server record ${id}`)
  }
}

export interface ServerEnd {
  port: number
  records: Records
}

const idOf = (url: string | undefined): string => (url ?? '/').replace(/^\//u, '').replace(/\?.*$/su, '')

/** The script, over a node-style (WebSocket-Node API) server connection: ours and the original share it. */
interface NodeStyleServerConnection {
  protocol?: string | null | undefined
  on(ev: 'message', fn: (m: IMessage) => void): unknown
  on(ev: 'ping', fn: (cancel: () => void, d: Buffer) => void): unknown
  on(ev: 'pong', fn: (d: Buffer) => void): unknown
  on(ev: 'close', fn: (code: number, desc: string) => void): unknown
  sendUTF(s: string): void
  sendBytes(b: Buffer): void
  ping(d: Buffer): void
  close(code: number, desc: string): void
}

function serveNodeStyle(
  c: NodeStyleServerConnection,
  record: Omit<ServerRecord, 'close' | 'received' | 'pings'>,
  onDone: (r: ServerRecord) => void,
): void {
  const received: Msg[] = []
  const pings: string[] = []
  let awaitingPong: Buffer | null = null
  c.on('message', (m) => {
    if (m.type === 'utf8') {
      const cmd = parseCommand(m.utf8Data)
      if (cmd && 'close' in cmd) return c.close(cmd.close[0], cmd.close[1])
      if (cmd && 'ping' in cmd) {
        awaitingPong = cmd.ping
        return c.ping(cmd.ping)
      }
      received.push({ kind: 'text', size: Buffer.byteLength(m.utf8Data), sha256: sha256(m.utf8Data) })
      c.sendUTF(m.utf8Data)
    } else {
      received.push({ kind: 'binary', size: m.binaryData.length, sha256: sha256(m.binaryData) })
      c.sendBytes(m.binaryData)
    }
  })
  c.on('ping', (_cancel, d) => pings.push(d.toString('hex')))
  c.on('pong', (d) => {
    if (awaitingPong && d.equals(awaitingPong)) c.sendUTF(`pong-ok:${d.toString('hex')}`)
    awaitingPong = null
  })
  c.on('close', (code, desc) => onDone({ ...record, received, pings, close: [code, desc] }))
}

function listen(t: ExecutionContext, server: http.Server, cleanup: () => void): Promise<number> {
  t.teardown(async () => {
    cleanup()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

export interface OurServerOptions {
  /** Served as text/html on GET /page (the browser's page). */
  page?: string
  /**
   * false: every message goes out as one frame, so the 16-bit (126, 65535) and 64-bit (65536, 1 MiB) length
   * encodings of our encoder reach the peer; default true fragments at 16 KiB as WebSocket-Node does.
   */
  fragmentOutgoingMessages?: boolean
  /** Enable permessage-deflate on our server (off by default, as in production). */
  perMessageDeflate?: PerMessageDeflateOptions
}

/** Our server (WebSocketServer from the public entry). */
export async function startOurServer(
  t: ExecutionContext,
  { page, fragmentOutgoingMessages = true, perMessageDeflate }: OurServerOptions = {},
): Promise<ServerEnd & { wsServer: WebSocketServer }> {
  const records = new Records()
  const httpServer = http.createServer((req, res) => {
    if (page !== undefined && req.url === '/page') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page)
    } else {
      res.writeHead(404).end()
    }
  })
  // Raised limits: the default maxReceivedFrameSize (64 KiB) refuses a 1 MiB single-frame message.
  const wsServer = new WebSocketServer({
    httpServer,
    ...LIMITS,
    fragmentOutgoingMessages,
    ...(perMessageDeflate ? { perMessageDeflate } : {}),
  })
  wsServer.on('request', (request) => {
    const connection = request.accept(request.requestedProtocols.includes(SELECTED) ? SELECTED : null, request.origin)
    const ext = request.httpRequest.headers['sec-websocket-extensions']
    serveNodeStyle(
      connection as unknown as NodeStyleServerConnection,
      { protocol: connection.protocol ?? '', origin: request.origin ?? null, extensionsOffered: ext ?? null },
      (r) => records.add(idOf(request.resource), r),
    )
  })
  const port = await listen(t, httpServer, () => {
    for (const c of wsServer.connections.slice()) c.drop(1001, 'test over', true)
    wsServer.shutDown()
  })
  return { port, records, wsServer }
}

/** The original `websocket@1.0.35` server. */
export async function startWebsocketNodeServer(t: ExecutionContext): Promise<ServerEnd> {
  const records = new Records()
  const httpServer = http.createServer((_req, res) => res.writeHead(404).end())
  const wsServer = new websocketNode.server({ httpServer, ...LIMITS, autoAcceptConnections: false })
  wsServer.on('request', (request) => {
    const connection = request.accept(request.requestedProtocols.includes(SELECTED) ? SELECTED : null, request.origin)
    serveNodeStyle(
      connection as unknown as NodeStyleServerConnection,
      {
        protocol: connection.protocol ?? '',
        origin: request.origin ?? null,
        extensionsOffered: request.httpRequest.headers['sec-websocket-extensions'] ?? null,
      },
      (r) => records.add(idOf(request.resource), r),
    )
  })
  const port = await listen(t, httpServer, () => wsServer.shutDown())
  return { port, records }
}

/** The `ws` package's server. */
export async function startWsServer(t: ExecutionContext): Promise<ServerEnd> {
  const records = new Records()
  const httpServer = http.createServer((_req, res) => res.writeHead(404).end())
  const wss = new WsServer({
    server: httpServer,
    maxPayload: LIMITS.maxReceivedMessageSize,
    handleProtocols: (offered) => (offered.has(SELECTED) ? SELECTED : false),
  })
  wss.on('connection', (ws, req) => {
    const received: Msg[] = []
    const pings: string[] = []
    let awaitingPong: Buffer | null = null
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer
      if (!isBinary) {
        const cmd = parseCommand(buf.toString('utf8'))
        if (cmd && 'close' in cmd) return ws.close(cmd.close[0], cmd.close[1])
        if (cmd && 'ping' in cmd) {
          awaitingPong = cmd.ping
          return ws.ping(cmd.ping)
        }
      }
      received.push({ kind: isBinary ? 'binary' : 'text', size: buf.length, sha256: sha256(buf) })
      ws.send(buf, { binary: isBinary })
    })
    ws.on('error', () => {}) // a broken connection shows up as a missing record, with its id
    ws.on('ping', (d) => pings.push(d.toString('hex')))
    ws.on('pong', (d) => {
      if (awaitingPong && d.equals(awaitingPong)) ws.send(`pong-ok:${d.toString('hex')}`)
      awaitingPong = null
    })
    ws.on('close', (code, reason) =>
      records.add(idOf(req.url), {
        protocol: ws.protocol,
        origin: req.headers.origin ?? null,
        extensionsOffered: req.headers['sec-websocket-extensions'] ?? null,
        received,
        pings,
        close: [code, reason.toString('utf8')] as Close,
      }),
    )
  })
  const port = await listen(t, httpServer, () => {
    for (const c of wss.clients) c.terminate()
    wss.close()
  })
  return { port, records }
}

/** Python `websockets` 17.4 server (fixtures/interop-peer.py server): prints its port, then a JSON line per close. */
export async function startPythonServer(t: ExecutionContext): Promise<ServerEnd> {
  const records = new Records()
  const script = path.join(here, '..', 'fixtures', 'interop-peer.py')
  const child = spawn(python, [script, 'server'], { stdio: ['pipe', 'pipe', 'pipe'] })
  t.teardown(() => {
    child.stdin.end()
    child.kill()
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  let buffered = ''
  const port = await within(
    new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`python server exited (${code}): ${stderr}`)))
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString('utf8')
        let nl: number
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl)
          buffered = buffered.slice(nl + 1)
          const msg = JSON.parse(line) as { port: number } | { id: string; record: ServerRecord }
          if ('port' in msg) resolve(msg.port)
          else records.add(msg.id, msg.record)
        }
      })
    }),
    15000,
    'python server start',
  )
  return { port, records }
}
