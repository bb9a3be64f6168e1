// Interop matrix, our client ⇄ real servers: `ws`, the original `websocket@1.0.35`, Python `websockets`; with
// WebSocketClient and with W3CWebSocket. Same script as the server side (helpers/interop-payloads.ts).
import test from 'ava'
import { ensurePython } from '../scripts/python-env.mjs'
import { ORIGIN, ourClientOpener, ourW3COpener, runClient, type Opener } from './helpers/interop-clients.js'
import { checkPair, ownClose, reply1000, type PairOptions } from './helpers/interop-check.js'
import type { ExecutionContext } from 'ava'
import {
  startPythonServer,
  startWebsocketNodeServer,
  startWsServer,
  type ServerEnd,
} from './helpers/interop-servers.js'

test.before(() => {
  ensurePython()
})

// When the server starts the close: ws and websockets report the reply frame they got (ours answers 1000, no
// reason); the original reports its own code and reason.
type ServerRow = [string, (t: ExecutionContext) => Promise<ServerEnd>, PairOptions['serverInitiatorSees'], boolean]
const servers: ServerRow[] = [
  ['ws@8.23.0', startWsServer, reply1000, true],
  ['websocket@1.0.35', startWebsocketNodeServer, ownClose, true],
  ['Python websockets 17.4', startPythonServer, reply1000, false],
]
// WebSocketClient sends every message as one frame (all three length encodings from our encoder); W3CWebSocket
// keeps the default 16 KiB fragments.
const clients: Array<[string, (t: ExecutionContext) => Opener, boolean]> = [
  ['WebSocketClient (unfragmented)', (t) => ourClientOpener(t, { fragmentOutgoingMessages: false }), true],
  ['W3CWebSocket', ourW3COpener, false],
]

for (const [serverName, start, serverInitiatorSees, serverSeesPings] of servers) {
  for (const [clientName, opener, clientPings] of clients) {
    test(`our ${clientName} ⇄ ${serverName} server: payloads, pings, subprotocol, closes`, async (t) => {
      const server = await start(t)
      const run = await runClient(opener(t), `ws://127.0.0.1:${server.port}`)
      await checkPair(t, run, server.records, {
        // Our client's 'close' (and W3C's close event) reports the code and reason it sent.
        clientInitiatorSees: ownClose,
        serverInitiatorSees,
        clientPings,
        serverSeesPings,
        origin: ORIGIN,
      })
    })
  }
}
