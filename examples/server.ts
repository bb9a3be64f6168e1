// ferrosocket demo: an echo endpoint and a tiny chat room, served with their page on http://127.0.0.1:PORT.
// Run: npm start (PORT defaults to 8080). Every line it logs goes to stdout.
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { server as WebSocketServer, type connection, type request } from '../ts/index.js'

const PORT = Number(process.env.PORT ?? 8080)
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
const chat = new Set<connection>()
const log = (...parts: unknown[]): void => console.log(new Date().toISOString(), ...parts)

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
  if (wanted === 'chat') chat.add(conn)

  conn.on('message', (message) => {
    if (message.type !== 'utf8') return conn.sendBytes(message.binaryData)
    if (wanted === 'echo') return conn.sendUTF(message.utf8Data)
    const line = message.utf8Data.slice(0, 500)
    log('chat', JSON.stringify(line))
    for (const peer of chat) peer.sendUTF(line)
  })
  conn.on('close', (code, description) => {
    chat.delete(conn)
    log('close', wanted, code, description)
  })
})

httpServer.listen(PORT, '127.0.0.1', () => {
  const { port } = httpServer.address() as AddressInfo
  log(`open http://127.0.0.1:${port}/ in a browser`)
})

process.on('SIGINT', () => {
  wsServer.shutDown()
  httpServer.close(() => process.exit(0))
})
