// Client ends of the interop matrix that run in this process: the `ws` and `websocket@1.0.35` clients, and ours
// (WebSocketClient, W3CWebSocket) from the public entry. Each is wrapped in a Driver, and one runner plays the
// script of interop-payloads.ts over any Driver, so every pair runs exactly the same steps.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ExecutionContext } from 'ava'
import websocketNode from 'websocket'
import WebSocket from 'ws'
import { python } from '../../scripts/python-env.mjs'
import { W3CWebSocket, WebSocketClient, type IMessage } from '../../ts/index.js'
import {
  CLIENT_PING,
  CLOSE_CASES,
  PROTOCOLS,
  closeCommand,
  pingCommand,
  sequence,
  sha256,
  within,
  type ClientReport,
  type Close,
  type Kind,
  type Msg,
} from './interop-payloads.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const STEP_MS = 10000
export const ORIGIN = 'http://interop.test'
/** Limits raised for the 1 MiB message, as a user expecting such messages would. */
export const LIMITS = { maxReceivedFrameSize: 0x200000, maxReceivedMessageSize: 0x200000 }

interface Incoming {
  kind: Kind
  data: Buffer
}

/** A uniform face over one open client connection. */
export interface Driver {
  protocol: string
  send(payload: string | Buffer): void
  next(): Promise<Incoming>
  /** Sends a ping and resolves with the pong's payload; null when the API has none (WHATWG). */
  ping: ((data: Buffer) => Promise<Buffer>) | null
  close(code: number, reason: string): void
  closed: Promise<Close>
  /** WHATWG close(): only 1000 and 3000–4999 may be initiated. */
  whatwg: boolean
}

export type Opener = (url: string) => Promise<Driver>

/** Buffers incoming messages so none is lost between two `next()` calls. */
class Inbox {
  private readonly items: Incoming[] = []
  private readonly waiters: Array<(m: Incoming) => void> = []
  push(m: Incoming): void {
    const w = this.waiters.shift()
    if (w) w(m)
    else this.items.push(m)
  }
  next(): Promise<Incoming> {
    const m = this.items.shift()
    if (m) return Promise.resolve(m)
    return within(new Promise<Incoming>((resolve) => this.waiters.push(resolve)), STEP_MS, 'next message')
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** The `ws` package's client. */
export function wsOpener(t: ExecutionContext): Opener {
  return (url) =>
    within(
      new Promise<Driver>((resolve, reject) => {
        const ws = new WebSocket(url, PROTOCOLS, { origin: ORIGIN })
        t.teardown(() => ws.terminate())
        const inbox = new Inbox()
        const closed = deferred<Close>()
        const pongs: Array<(b: Buffer) => void> = []
        ws.on('message', (data, isBinary) => inbox.push({ kind: isBinary ? 'binary' : 'text', data: data as Buffer }))
        ws.on('pong', (data) => pongs.shift()?.(data))
        ws.on('close', (code, reason) => closed.resolve([code, reason.toString()]))
        // Persistent: a later socket error must fail the step (timeout), not crash the worker.
        ws.on('error', reject)
        ws.once('open', () =>
          resolve({
            protocol: ws.protocol,
            send: (p) => ws.send(p, { binary: Buffer.isBuffer(p) }),
            next: () => inbox.next(),
            ping: (d) => {
              const p = new Promise<Buffer>((r) => pongs.push(r))
              ws.ping(d)
              return within(p, STEP_MS, 'ws pong')
            },
            close: (code, reason) => ws.close(code, reason),
            closed: closed.promise,
            whatwg: false,
          }),
        )
      }),
      STEP_MS,
      `ws connect ${url}`,
    )
}

/** Minimal shape shared by WebSocket-Node's connection and ours. */
interface NodeStyleConnection {
  protocol?: string | undefined
  on(ev: 'message', fn: (m: IMessage) => void): unknown
  on(ev: 'pong', fn: (d: Buffer) => void): unknown
  on(ev: 'close', fn: (code: number, desc: string) => void): unknown
  sendUTF(s: string): void
  sendBytes(b: Buffer): void
  ping(d: Buffer): void
  close(code: number, desc: string): void
  drop(): void
}

function nodeStyleDriver(connection: NodeStyleConnection): Driver {
  const inbox = new Inbox()
  const closed = deferred<Close>()
  const pongs: Array<(b: Buffer) => void> = []
  connection.on('message', (m) =>
    inbox.push(
      m.type === 'utf8'
        ? { kind: 'text', data: Buffer.from(m.utf8Data, 'utf8') }
        : { kind: 'binary', data: m.binaryData },
    ),
  )
  connection.on('pong', (d) => pongs.shift()?.(d))
  connection.on('close', (code, desc) => closed.resolve([code, desc]))
  return {
    protocol: connection.protocol ?? '',
    send: (p) => (typeof p === 'string' ? connection.sendUTF(p) : connection.sendBytes(p)),
    next: () => inbox.next(),
    ping: (d) => {
      const p = new Promise<Buffer>((r) => pongs.push(r))
      connection.ping(d)
      return within(p, STEP_MS, 'pong')
    },
    close: (code, reason) => connection.close(code, reason),
    closed: closed.promise,
    whatwg: false,
  }
}

interface NodeStyleClient {
  on(ev: 'connect', fn: (c: NodeStyleConnection) => void): unknown
  on(ev: 'connectFailed', fn: (e: Error) => void): unknown
  connect(url: string, protocols: string[], origin: string): void
  abort(): void
}

function nodeStyleOpener(t: ExecutionContext, make: () => NodeStyleClient, name: string): Opener {
  return (url) =>
    within(
      new Promise<Driver>((resolve, reject) => {
        const client = make()
        t.teardown(() => client.abort())
        client.on('connectFailed', reject)
        client.on('connect', (connection) => {
          t.teardown(() => connection.drop())
          resolve(nodeStyleDriver(connection))
        })
        client.connect(url, PROTOCOLS, ORIGIN)
      }),
      STEP_MS,
      `${name} connect ${url}`,
    )
}

/** The original `websocket@1.0.35` client (WebSocket-Node). */
export function websocketNodeOpener(t: ExecutionContext): Opener {
  return nodeStyleOpener(t, () => new websocketNode.client(LIMITS) as unknown as NodeStyleClient, 'websocket@1.0.35')
}

/** Our WebSocketClient; `fragmentOutgoingMessages: false` sends each message as one frame (all length encodings). */
export function ourClientOpener(t: ExecutionContext, config: { fragmentOutgoingMessages?: boolean } = {}): Opener {
  return nodeStyleOpener(
    t,
    () => new WebSocketClient({ ...LIMITS, ...config }) as unknown as NodeStyleClient,
    'WebSocketClient',
  )
}

/** Our W3CWebSocket (binaryType 'arraybuffer'; no ping API, so only server→client pings). */
export function ourW3COpener(t: ExecutionContext): Opener {
  return (url) =>
    within(
      new Promise<Driver>((resolve, reject) => {
        const ws = new W3CWebSocket(url, PROTOCOLS, ORIGIN, null, null, LIMITS)
        t.teardown(() => {
          if (ws.readyState === W3CWebSocket.CONNECTING) ws.close()
          ws._connection?.drop()
        })
        const inbox = new Inbox()
        const closed = deferred<Close>()
        ws.onerror = (e) => reject(new Error(`W3CWebSocket error: ${String(e)}`))
        ws.onmessage = (e) => {
          const d = e.data
          inbox.push(
            typeof d === 'string'
              ? { kind: 'text', data: Buffer.from(d, 'utf8') }
              : { kind: 'binary', data: Buffer.from(d as ArrayBuffer) },
          )
        }
        ws.onclose = (e) => closed.resolve([e.code, e.reason])
        ws.onopen = () =>
          resolve({
            protocol: ws.protocol,
            send: (p) => ws.send(p),
            next: () => inbox.next(),
            ping: null,
            close: (code, reason) => ws.close(code, reason),
            closed: closed.promise,
            whatwg: true,
          })
      }),
      STEP_MS,
      `W3CWebSocket connect ${url}`,
    )
}

/** Everything a client run produced: one report per close case (`client-1000` also ran the payload sequence). */
export interface ClientRun {
  reports: Map<string, ClientReport>
  /** WHATWG clients: the error name close(1001) threw (the case is then not run). */
  close1001Refused?: string
}

const toMsg = (m: Incoming, size: number): Msg => ({ kind: m.kind, size, sha256: sha256(m.data) })

/** Plays the whole script against `base` (ws://host:port): six connections, run concurrently. */
export async function runClient(open: Opener, base: string): Promise<ClientRun> {
  const run: ClientRun = { reports: new Map() }
  await Promise.all(
    CLOSE_CASES.map(async (c) => {
      const d = await open(`${base}/${c.id}`)
      if (d.whatwg && c.by === 'client' && c.code === 1001) {
        try {
          d.close(1001, c.reason)
          run.close1001Refused = 'no error'
        } catch (e) {
          run.close1001Refused = (e as Error).name
        }
        d.close(1000, 'cleanup')
        await within(d.closed, STEP_MS, 'cleanup close')
        return
      }
      const report: ClientReport = { protocol: d.protocol, echoes: [], pong: null, serverPing: null, close: [0, ''] }
      if (c.id === 'client-1000') {
        for (const step of sequence()) {
          d.send(step.payload)
          const m = await d.next()
          report.echoes.push(toMsg(m, m.data.length))
        }
        if (d.ping) report.pong = (await d.ping(CLIENT_PING)).toString('hex')
        d.send(pingCommand())
        const ok = await d.next()
        report.serverPing = ok.data.toString('utf8').replace(/^pong-ok:/u, '')
        if (!ok.data.toString('utf8').startsWith('pong-ok:')) throw new Error(`unexpected reply ${ok.data.toString()}`)
      }
      if (c.by === 'client') d.close(c.code, c.reason)
      else d.send(closeCommand(c.code, c.reason))
      report.close = await within(d.closed, STEP_MS, `${c.id} close`)
      run.reports.set(c.id, report)
    }),
  )
  return run
}


/** The Python `websockets` client (fixtures/interop-peer.py client): plays the script, prints one JSON report. */
export async function runPythonClient(t: ExecutionContext, base: string): Promise<ClientRun> {
  const child = spawn(python, [path.join(here, '..', 'fixtures', 'interop-peer.py'), 'client', base], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => child.kill())
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')))
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')))
  const code = await within(new Promise<number | null>((r) => child.once('exit', r)), 60000, 'python client')
  if (code !== 0) throw new Error(`python client exited ${code}: ${err}`)
  const parsed = JSON.parse(out) as { reports: Record<string, ClientReport> }
  return { reports: new Map(Object.entries(parsed.reports)) }
}
