// An echo WebSocketServer for interop tests: accepts `chat` (any case) when offered, echoes every message,
// records close events, closes with 4002 'server bye' when a client sends the text `close-me`.
import type { ExecutionContext } from 'ava'
import type WebSocket from 'ws'
import type { WebSocketConnection } from '../../ts/WebSocketConnection.js'
import type { IServerConfig } from '../../ts/WebSocketServer.js'
import { within } from './conn-pair.js'
import { startServer, type Harness } from './server-harness.js'

export interface EchoServer extends Harness {
  /** [code, description] of every server-side connection 'close'. */
  closes: Array<[number, string]>
  /** Resolves on the next server-side connection 'close'. */
  nextClose(): Promise<[number, string]>
  /** Protocol each accepted connection got. */
  protocols: Array<string | null>
}

export async function startEchoServer(t: ExecutionContext, config: Partial<IServerConfig> = {}): Promise<EchoServer> {
  const harness = await startServer(t, config)
  const closes: Array<[number, string]> = []
  const protocols: Array<string | null> = []
  const waiters: Array<(c: [number, string]) => void> = []
  harness.wsServer.on('request', (request) => {
    const protocol = request.requestedProtocols.includes('chat') ? 'CHAT' : null
    const connection: WebSocketConnection = request.accept(protocol, request.origin)
    protocols.push(connection.protocol ?? null)
    connection.on('message', (m: { type: 'utf8'; utf8Data: string } | { type: 'binary'; binaryData: Buffer }) => {
      if (m.type === 'utf8' && m.utf8Data === 'close-me') connection.close(4002, 'server bye')
      else if (m.type === 'utf8') connection.sendUTF(m.utf8Data)
      else connection.sendBytes(m.binaryData)
    })
    connection.on('close', (code: number, description: string) => {
      closes.push([code, description])
      waiters.shift()?.([code, description])
    })
  })
  const nextClose = (): Promise<[number, string]> =>
    within(new Promise((resolve) => waiters.push(resolve)), 5000, 'a server-side close')
  return { ...harness, closes, protocols, nextClose }
}

/** Resolves with a `ws` client once it is open (rejects on its 'error'); terminated at teardown; a hang guard bounds the wait. */
export function wsOpened(t: { teardown(fn: () => void): void }, ws: WebSocket): Promise<WebSocket> {
  t.teardown(() => ws.terminate())
  return within(
    new Promise<WebSocket>((resolve, reject) => {
      ws.once('open', () => resolve(ws))
      ws.once('error', reject)
    }),
    5000,
    'the ws client to open',
  )
}
