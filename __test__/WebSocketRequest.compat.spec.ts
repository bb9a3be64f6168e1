/**
 * `request.accept()` against websocket@1.0.35: what the new connection reports as `protocol` for each way of
 * accepting (the common `accept(null, origin)` included), with the same client and request on both servers.
 */
import { once } from 'node:events'
import http from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import test from 'ava'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import { WebSocketServer } from '../ts/WebSocketServer.js'
import { within } from './helpers/conn-pair.js'

const require = createRequire(import.meta.url)
type AnyRequest = { origin: string; accept(p?: unknown, o?: unknown): { protocol: unknown; close(): void } }
type AnyServer = NodeJS.EventEmitter & { shutDown(): void }
const Original = (require('websocket') as { server: new (c: object) => AnyServer }).server

async function protocolAfterAccept(impl: 'original' | 'ours', offered: string[], accepted: unknown): Promise<unknown> {
  const httpServer = http.createServer()
  httpServer.listen(0, '127.0.0.1')
  await once(httpServer, 'listening')
  const config = { httpServer, keepalive: false }
  const server = impl === 'original' ? new Original(config) : (new WebSocketServer(config) as unknown as AnyServer)
  try {
    const seen = new Promise<unknown>((resolve, reject) => {
      server.on('request', (request: AnyRequest) => {
        try {
          const connection = request.accept(accepted, request.origin)
          resolve(connection.protocol)
          connection.close()
        } catch (e) {
          reject(e as Error)
        }
      })
    })
    const client = new WebSocketClient()
    client.on('connectFailed', () => {})
    client.connect(`ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}/`, offered, 'http://page.example')
    return await within(seen, 5000, 'the request')
  } finally {
    server.shutDown()
    httpServer.close()
  }
}

const CASES: Array<[string, string[], unknown]> = [
  ['accept(null, origin), nothing offered', [], null],
  ['accept(null, origin), a protocol offered but not chosen', ['chat'], null],
  ['accept(undefined, origin)', ['chat'], undefined],
  ["accept('', origin)", [], ''],
  ["accept('chat', origin)", ['chat'], 'chat'],
]

for (const [name, offered, accepted] of CASES) {
  test(`connection.protocol after ${name} is websocket@1.0.35's`, async (t) => {
    const original = await protocolAfterAccept('original', offered, accepted)
    const ours = await protocolAfterAccept('ours', offered, accepted)
    t.is(ours, original)
    t.is(ours, accepted)
  })
}
