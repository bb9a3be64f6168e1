// Interop matrix, our server ⇄ real clients: `ws`, the original `websocket@1.0.35`, Python `websockets`.
// (Chromium: interop-chromium.spec.ts.) One connection per close case; `client-1000` also runs the payload
// sequence (0…1 MiB, text and binary) and the pings. See helpers/interop-payloads.ts for the script.
import test from 'ava'
import { ensurePython } from '../scripts/python-env.mjs'
import { ORIGIN, runClient, runPythonClient, websocketNodeOpener, wsOpener } from './helpers/interop-clients.js'
import { checkPair, ownClose, reply1000 } from './helpers/interop-check.js'
import { startOurServer } from './helpers/interop-servers.js'

test.before(() => {
  ensurePython()
})


// ws and websockets get every message as one frame (all three length encodings from our encoder); the original
// gets WebSocket-Node's default 16 KiB fragments.
test('our server (unfragmented) ⇄ ws@8.23.0 client: payloads, pings, subprotocol, closes', async (t) => {
  const server = await startOurServer(t, { fragmentOutgoingMessages: false })
  const run = await runClient(wsOpener(t), `ws://127.0.0.1:${server.port}`)
  // ws reports the reply it got: ours answers every close with 1000 and no reason.
  await checkPair(t, run, server.records, {
    clientInitiatorSees: reply1000,
    serverInitiatorSees: ownClose,
    clientPings: true,
    serverSeesPings: true,
    origin: ORIGIN,
    offersDeflate: true,
  })
})

test('our server ⇄ websocket@1.0.35 client: payloads, pings, subprotocol, closes', async (t) => {
  const server = await startOurServer(t)
  const run = await runClient(websocketNodeOpener(t), `ws://127.0.0.1:${server.port}`)
  await checkPair(t, run, server.records, {
    clientInitiatorSees: ownClose,
    serverInitiatorSees: ownClose,
    clientPings: true,
    serverSeesPings: true,
    origin: ORIGIN,
  })
})

test('our server (unfragmented) ⇄ Python websockets 17.4 client: payloads, pings, subprotocol, closes', async (t) => {
  const server = await startOurServer(t, { fragmentOutgoingMessages: false })
  const run = await runPythonClient(t, `ws://127.0.0.1:${server.port}`)
  // websockets' close_code/close_reason are the reply frame's.
  await checkPair(t, run, server.records, {
    clientInitiatorSees: reply1000,
    serverInitiatorSees: ownClose,
    clientPings: true,
    serverSeesPings: true,
    origin: ORIGIN,
    offersDeflate: true,
  })
})
