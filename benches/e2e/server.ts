/**
 * The server under test, one per child process: `node … server.ts <impl> <mode>` with mode `echo` (every message
 * sent back to its sender, text as text) or `broadcast` (every message sent to every connection: the library's
 * `broadcastUTF` for ferrosocket and websocket@1.0.35, a loop over `send` for ws). Listens on 127.0.0.1:0 and
 * reports `{ port }` over IPC; answers `{ cmd: 'stats', gc }` with its CPU time, memory and connection count.
 * The backend switches (FERROSOCKET_BACKEND, WS_NO_BUFFER_UTIL, WS_NO_UTF_8_VALIDATE) come from the parent.
 * A third argument `deflate` turns on permessage-deflate (issue 9) with the same settings on ferrosocket and ws:
 * `{ threshold: 0 }` (every message compressed), everything else at its default, which is the same on both
 * (context takeover both ways, 15-bit windows, Node zlib level 6 / memLevel 8, at most 10 zlib jobs at once).
 * websocket@1.0.35 has no compression and ignores the offer.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

type Impl = 'ferro-native' | 'ferro-ts' | 'ferro-base' | 'ws' | 'ws-js' | 'websocket'
const impl = process.argv[2] as Impl
const mode = process.argv[3] === 'broadcast' ? 'broadcast' : 'echo'
const perMessageDeflate = process.argv[4] === 'deflate' ? { threshold: 0 } : false
/** Large enough for the 1 MiB workload on every server (websocket@1.0.35 defaults to 64 KiB frames, 1 MiB messages). */
const MAX = 64 * 1024 * 1024

let connections = 0
const httpServer = http.createServer((_req, res) => {
  res.writeHead(426)
  res.end()
})

interface WnMessage {
  type: 'utf8' | 'binary'
  utf8Data?: string
  binaryData?: Buffer
}
interface WnConnection {
  on(event: 'message', fn: (m: WnMessage) => void): void
  on(event: 'close', fn: () => void): void
  sendUTF(s: string): void
  sendBytes(b: Buffer): void
}
interface WnServer {
  on(event: 'connect', fn: (c: WnConnection) => void): void
  broadcastUTF(s: string): void
  broadcastBytes(b: Buffer): void
}

async function start(): Promise<void> {
  if (impl === 'ws' || impl === 'ws-js') {
    const { WebSocketServer } = await import('ws')
    const wss = new WebSocketServer({ server: httpServer, perMessageDeflate, maxPayload: MAX })
    wss.on('connection', (ws) => {
      connections++
      ws.on('close', () => connections--)
      if (mode === 'echo') ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
      else {
        ws.on('message', (data, isBinary) => {
          for (const c of wss.clients) c.send(data, { binary: isBinary })
        })
      }
    })
  } else {
    const WnServerClass = (
      impl === 'websocket'
        ? ((await import('websocket')) as unknown as { default: { server: unknown } }).default.server
        : impl === 'ferro-base'
          ? (await import(process.env.FERRO_BASELINE as string)).server
          : (await import('../../dist/index.js')).server
    ) as new (config: object) => WnServer
    const wn = new WnServerClass({
      httpServer,
      autoAcceptConnections: true,
      maxReceivedFrameSize: MAX,
      maxReceivedMessageSize: MAX,
      // Only when benchmarking compression, so the other workloads pass exactly the config they always did.
      ...(perMessageDeflate === false ? {} : { perMessageDeflate }),
    })
    wn.on('connect', (c) => {
      connections++
      c.on('close', () => connections--)
      if (mode === 'echo') {
        c.on('message', (m) => (m.type === 'utf8' ? c.sendUTF(m.utf8Data!) : c.sendBytes(m.binaryData!)))
      } else {
        c.on('message', (m) => (m.type === 'utf8' ? wn.broadcastUTF(m.utf8Data!) : wn.broadcastBytes(m.binaryData!)))
      }
    })
  }
  httpServer.listen(0, '127.0.0.1', 4096, () => {
    process.send!({ port: (httpServer.address() as AddressInfo).port })
  })
}

process.on('message', (msg: { cmd: string; gc?: boolean }) => {
  if (msg.cmd !== 'stats') return
  const g = (globalThis as { gc?: () => void }).gc
  if (msg.gc === true && g !== undefined) {
    g()
    g()
  }
  process.send!({ cpu: process.cpuUsage(), mem: process.memoryUsage(), connections })
})
process.on('disconnect', () => process.exit(0))
// --cpu-prof writes its profile on a normal exit only.
process.on('SIGINT', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))

await start()
