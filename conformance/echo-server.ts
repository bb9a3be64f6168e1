/**
 * Autobahn testee for the server role (`wstest -m fuzzingclient` connects to it): accepts every request and
 * echoes text as text, binary as binary. Binds 127.0.0.1 on the given port (0 = any) and prints
 * `LISTENING <port> <backend>` once ready. Backend: FERROSOCKET_BACKEND; library: CONFORMANCE_IMPL (see impl.ts).
 * Usage: node --import @oxc-node/core/register conformance/echo-server.ts [port]
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { AUTOBAHN_LIMITS, lib, runningOn } from './impl.js'

const port = Number(process.argv[2] ?? 0)
const httpServer = http.createServer((_req, res) => {
  res.writeHead(404)
  res.end()
})

const wsServer = new lib.server({ httpServer, autoAcceptConnections: false, ...AUTOBAHN_LIMITS })
let errors = 0
wsServer.on('request', (request) => {
  // Autobahn offers no subprotocol; 12.*/13.* offer permessage-deflate, which we do not negotiate (yet).
  const connection = request.accept(null, request.origin)
  connection.on('message', (message) => {
    if (message.type === 'utf8') connection.sendUTF(message.utf8Data)
    else connection.sendBytes(message.binaryData)
  })
  // Errors are expected (the suite sends invalid frames on purpose); the close code is what Autobahn judges.
  connection.on('error', () => {
    errors++
  })
})

httpServer.listen(port, '127.0.0.1', () => {
  const { port: bound } = httpServer.address() as AddressInfo
  console.log(`LISTENING ${bound} ${runningOn}`)
})

// Graceful exit on SIGTERM, so the harness can tell a crash (non-zero / signal) from a normal stop.
process.on('SIGTERM', () => {
  console.log(`STOPPING connection-errors=${errors}`)
  wsServer.shutDown()
  httpServer.close()
  process.exit(0)
})
