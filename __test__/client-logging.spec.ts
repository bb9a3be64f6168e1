/**
 * Client logging under `ferrosocket:client` (debug package): a successful connect and a failed one each log one
 * line saying where and why; nothing is written when the namespace is off.
 */
import { format } from 'node:util'
import test from 'ava'
import createDebug from 'debug'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import type { WebSocketRequest } from '../ts/WebSocketRequest.js'
import { connected, failed, outcome } from './helpers/client-events.js'
import { startOurServer } from './helpers/client-our-server.js'

const lines: string[] = []
createDebug.log = (...args: unknown[]): void => {
  lines.push(format(...args))
}

test.serial('enabled: connect and connectFailed each log where and why', async (t) => {
  createDebug.enable('ferrosocket:client')
  t.teardown(() => createDebug.disable())
  lines.length = 0
  const { port, wsServer } = await startOurServer(t)
  wsServer.on('request', (req: WebSocketRequest) =>
    req.resource === '/no' ? req.reject(403, 'nope') : req.accept('chat', req.origin),
  )
  const ok = new WebSocketClient()
  const o1 = outcome(ok)
  ok.connect(`ws://127.0.0.1:${port}/yes`, ['chat'])
  connected(await o1).close()
  const refused = new WebSocketClient()
  const o2 = outcome(refused)
  refused.connect(`ws://127.0.0.1:${port}/no`)
  failed(await o2)
  const mine = lines.filter((l) => l.includes('ferrosocket:client'))
  t.is(mine.length, 2, lines.join('\n'))
  t.regex(mine[0]!, new RegExp(`connected to ws://127\\.0\\.0\\.1:${port}/yes \\(protocol chat, extensions none\\)`))
  t.regex(mine[1]!, new RegExp(`connect to ws://127\\.0\\.0\\.1:${port}/no failed: .*403`))
})

test.serial('disabled: a connect writes no log line', async (t) => {
  createDebug.disable()
  lines.length = 0
  const { port, wsServer } = await startOurServer(t)
  wsServer.on('request', (req: WebSocketRequest) => req.accept())
  const client = new WebSocketClient()
  const o = outcome(client)
  client.connect(`ws://127.0.0.1:${port}/`)
  connected(await o).close()
  t.deepEqual(lines, [])
})

test.serial('ferrosocket:deflate logs the server side of the negotiation: offer and answer', async (t) => {
  createDebug.enable('ferrosocket:deflate')
  t.teardown(() => createDebug.disable())
  lines.length = 0
  const { port, wsServer } = await startOurServer(t, { perMessageDeflate: true })
  wsServer.on('request', (req: WebSocketRequest) => req.accept())
  const client = new WebSocketClient({ perMessageDeflate: { serverNoContextTakeover: true } })
  const o = outcome(client)
  client.connect(`ws://127.0.0.1:${port}/`)
  connected(await o).close()
  const mine = lines.filter((l) => l.includes('ferrosocket:deflate'))
  t.is(mine.length, 1, lines.join('\n'))
  t.regex(mine[0]!, /offer permessage-deflate.*server_no_context_takeover.* → permessage-deflate; server_no_context_takeover/)
})
