// Server half of scripts/soak.mjs: a ferrosocket echo server in its own process (so its fds, timers and heap are
// measured alone), driven over IPC. Run by soak.mjs with --expose-gc and the oxc-node loader; 127.0.0.1 only.
import { readdirSync } from 'node:fs'
import http from 'node:http'
import { WebSocketServer as WsServer } from 'ws'
import { backend, server as WebSocketServer } from '../ts/index.ts'

let httpServer = null
let wsServer = null
let counters = { accepted: 0, messages: 0, closes: {}, errors: 0 }
let broadcastTimer = null

/** `gc: false`: as the process is (flood scenarios sample RSS under load, a forced GC would pause the server). */
function stats(gc = true) {
  if (gc) {
    globalThis.gc?.()
    globalThis.gc?.()
  }
  const mem = process.memoryUsage()
  const resources = process.getActiveResourcesInfo()
  return {
    backend,
    connections: wsServer ? (wsServer.connections?.length ?? wsServer.clients.size) : 0,
    fds: readdirSync('/proc/self/fd').length,
    timers: resources.filter((r) => r === 'Timeout').length,
    tcp: resources.filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length,
    heapUsed: mem.heapUsed,
    rss: mem.rss,
    external: mem.external + mem.arrayBuffers,
    ...counters,
  }
}

/** The same echo server on `ws` (impl 'ws'), for comparisons; `perMessageDeflate` passed through. */
function startWs(config) {
  wsServer = new WsServer({ server: httpServer, perMessageDeflate: config.perMessageDeflate ?? false })
  wsServer.on('connection', (ws) => {
    counters.accepted++
    ws.on('message', (data, isBinary) => {
      counters.messages++
      ws.send(data, { binary: isBinary })
    })
    ws.on('close', (code) => {
      counters.closes[code] = (counters.closes[code] ?? 0) + 1
    })
    ws.on('error', () => counters.errors++)
  })
}

function start(config, http1, impl) {
  counters = { accepted: 0, messages: 0, closes: {}, errors: 0 }
  httpServer = http.createServer(http1 ?? {}, (_req, res) => res.writeHead(426).end())
  httpServer.on('clientError', (_e, socket) => socket.destroy())
  if (impl === 'ws') startWs(config)
  else startFerrosocket(config)
  return new Promise((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve(httpServer.address().port)))
}

function startFerrosocket(config) {
  wsServer = new WebSocketServer({ httpServer, ...config })
  wsServer.on('request', (req) => {
    const conn = req.accept(null, req.origin)
    counters.accepted++
    conn.on('message', (m) => {
      counters.messages++
      if (m.type === 'utf8') conn.sendUTF(m.utf8Data)
      else conn.sendBytes(m.binaryData)
    })
    conn.on('close', (code) => {
      counters.closes[code] = (counters.closes[code] ?? 0) + 1
    })
    conn.on('error', () => counters.errors++)
  })
}

async function stop() {
  if (broadcastTimer) clearInterval(broadcastTimer)
  broadcastTimer = null
  if (!wsServer) return
  if (wsServer instanceof WsServer) {
    for (const ws of wsServer.clients) ws.terminate()
    wsServer.close()
  } else {
    for (const c of wsServer.connections.slice()) c.drop(1001, 'soak over', true)
    wsServer.shutDown()
  }
  httpServer.closeAllConnections()
  await new Promise((resolve) => httpServer.close(() => resolve()))
  wsServer = null
  httpServer = null
}

process.on('message', async (msg) => {
  let reply
  if (msg.cmd === 'start') reply = { port: await start(msg.config, msg.http, msg.impl) }
  else if (msg.cmd === 'stats') reply = stats(msg.gc !== false)
  else if (msg.cmd === 'stop') {
    await stop()
    reply = stats()
  } else if (msg.cmd === 'broadcast') {
    // `count` messages of `size` bytes to every connection every 10 ms (slow-reader scenario).
    const payload = Buffer.alloc(msg.size, 0x62)
    broadcastTimer = setInterval(() => {
      for (let i = 0; i < msg.count; i++) wsServer.broadcastBytes(payload)
    }, 10)
    reply = {}
  } else if (msg.cmd === 'stopBroadcast') {
    clearInterval(broadcastTimer)
    broadcastTimer = null
    reply = {}
  } else if (msg.cmd === 'exit') {
    await stop()
    process.send({ id: msg.id }, () => process.exit(0))
    return
  }
  process.send({ id: msg.id, ...reply })
})
process.send({ ready: true })
