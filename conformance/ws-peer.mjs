// Reference testee: an echo server on the `ws` package (a peer known to score 510 OK / 4 NON-STRICT /
// 3 INFORMATIONAL), used to check the conformance harness itself (`npm run conformance -- --peer ws`).
// Prints `LISTENING <port>` once bound to 127.0.0.1.
import { WebSocketServer } from 'ws'

const port = Number(process.argv[2] ?? 0)
const wss = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 64 * 1024 * 1024, perMessageDeflate: false, maxFragments: 0 })
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  ws.on('error', () => {})
})
wss.on('listening', () => console.log(`LISTENING ${wss.address().port}`))
