/**
 * The fan-out server under test (issue 14), one per child process: `node server.gen.mjs <impl> <app>`.
 * Apps — the code a user of each library writes for a chat room (Bun's chat benchmark's workload):
 * - `loop`: every text received is relayed as `name: text` to every connection with a loop of
 *   `sendUTF` (ferrosocket, websocket@1.0.35) or `send` (ws). Unchanged WebSocket-Node code.
 * - `publish` (ferrosocket only): every connection subscribes to 'room'; a text is relayed with
 *   `server.publish('room', name + ': ' + text)`.
 * - `broadcast`: the text relayed as is with `broadcastUTF` (ferrosocket, websocket) or a loop of `send` (ws).
 * `node server.gen.mjs <impl> <app> deflate`: permessage-deflate enabled (defaults; the load generator's offer
 * decides context takeover).
 * Listens on 127.0.0.1:0 and reports `{ port }` over IPC.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

const impl = process.argv[2] as 'ferro' | 'ws' | 'websocket'
const app = process.argv[3] as 'loop' | 'publish' | 'broadcast'
const deflate = process.argv[4] === 'deflate'
const httpServer = http.createServer((_req, res) => res.writeHead(426).end())

interface WnConnection {
  on(event: 'message', fn: (m: { type: string; utf8Data?: string }) => void): void
  sendUTF(s: string): void
  subscribe(topic: string): boolean
}
interface WnServer {
  connections: WnConnection[]
  on(event: 'connect', fn: (c: WnConnection) => void): void
  broadcastUTF(s: string): void
  publish(topic: string, data: string): number
}

let next = 0
if (impl === 'ws') {
  const { WebSocketServer } = await import('ws')
  const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: deflate })
  wss.on('connection', (ws) => {
    const name = `user${next++}`
    ws.on('message', (data) => {
      const out = app === 'broadcast' ? data.toString() : `${name}: ${data.toString()}`
      for (const c of wss.clients) c.send(out)
    })
  })
} else {
  const Server = (
    impl === 'websocket'
      ? ((await import('websocket')) as unknown as { default: { server: unknown } }).default.server
      : (await import(process.env.FERRO_DIST ?? '../../dist/index.js')).server
  ) as new (config: object) => WnServer
  const wn = new Server({ httpServer, autoAcceptConnections: true, keepalive: false, ...(deflate ? { perMessageDeflate: true } : {}) })
  wn.on('connect', (c) => {
    const name = `user${next++}`
    if (app === 'publish') c.subscribe('room')
    c.on('message', (m) => {
      if (m.type !== 'utf8') return
      if (app === 'broadcast') wn.broadcastUTF(m.utf8Data!)
      else if (app === 'publish') wn.publish('room', `${name}: ${m.utf8Data}`)
      else {
        const out = `${name}: ${m.utf8Data}`
        for (const peer of wn.connections) peer.sendUTF(out)
      }
    })
  })
}
httpServer.listen(0, '127.0.0.1', 4096, () => process.send!({ port: (httpServer.address() as AddressInfo).port }))
process.on('disconnect', () => process.exit(0))
