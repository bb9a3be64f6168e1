// ferrosocket demo: an echo endpoint and a tiny chat room, served with their page on http://127.0.0.1:PORT.
// Run: npm start (PORT defaults to 8080). Every line it logs goes to stdout.
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { server as WebSocketServer, type connection, type request } from '../ts/index.js'

const PORT = Number(process.env.PORT || 8080)
if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) {
  console.error(`PORT=${process.env.PORT} is not a port number (0-65535)`)
  process.exit(1)
}
const page = readFileSync(new URL('./public/index.html', import.meta.url))

const httpServer = http.createServer((req, res) => {
  if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page)
  } else {
    res.writeHead(404).end('not found\n')
  }
})

// autoAcceptConnections stays false (the default): every request is inspected below. No proxy sits in front
// of this demo, so X-Forwarded-For would only be a client's claim: ignore it.
const wsServer = new WebSocketServer({ httpServer, ignoreXForwardedFor: true })
/** Chat members and the name each was given (`guest-1`, `guest-2`, …). */
const chat = new Map<connection, string>()
let guests = 0
const log = (...parts: unknown[]): void => console.log(new Date().toISOString(), ...parts)

/**
 * Chat protocol, JSON text messages from the server: `{ type: 'welcome', name }` once, then
 * `{ type: 'line', from, time, text }` for every line anyone sends (the sender gets its own back, so the page shows
 * the server's order and time). The client sends plain text.
 */
const relay = (from: string, text: string): void => {
  const line = JSON.stringify({ type: 'line', from, time: new Date().toISOString(), text })
  for (const peer of chat.keys()) peer.sendUTF(line)
}

wsServer.on('request', (req: request) => {
  // Cross-site WebSocket hijacking: a browser always sends Origin, and only our own page may connect.
  // The page's origin is the scheme plus the Host it was loaded from.
  if (req.origin !== `http://${req.host}`) {
    log('rejected origin', req.origin, 'from', req.remoteAddress)
    req.reject(403, 'Origin not allowed')
    return
  }
  const wanted = req.requestedProtocols.find((p) => p === 'echo' || p === 'chat')
  if (!wanted) {
    req.reject(400, 'Use the "echo" or "chat" subprotocol')
    return
  }

  const conn = req.accept(wanted, req.origin)
  log('open', wanted, req.remoteAddress)
  const name = wanted === 'chat' ? `guest-${++guests}` : ''
  if (wanted === 'chat') {
    chat.set(conn, name)
    conn.sendUTF(JSON.stringify({ type: 'welcome', name }))
  }

  conn.on('message', (message) => {
    if (message.type !== 'utf8') return conn.sendBytes(message.binaryData)
    if (wanted === 'echo') return conn.sendUTF(message.utf8Data)
    const text = message.utf8Data.slice(0, 500)
    log('chat', name, JSON.stringify(text))
    relay(name, text)
  })
  conn.on('close', (code, description) => {
    chat.delete(conn)
    log('close', wanted, code, description)
  })
})

httpServer.on('error', (error: NodeJS.ErrnoException) => {
  // The usual first-run problem is another program on the port: say so instead of a stack trace.
  if (error.code === 'EADDRINUSE') console.error(`port ${PORT} is in use, set PORT (e.g. PORT=8081 npm start)`)
  else if (error.code === 'EACCES') console.error(`port ${PORT} needs privileges, set PORT to 1024 or above`)
  else console.error(`cannot listen on 127.0.0.1:${PORT}: ${error.message}`)
  process.exit(1)
})

httpServer.listen(PORT, '127.0.0.1', () => {
  const { port } = httpServer.address() as AddressInfo
  log(`open http://127.0.0.1:${port}/ in a browser`)
})

process.on('SIGINT', () => {
  wsServer.shutDown()
  httpServer.close(() => process.exit(0))
})
