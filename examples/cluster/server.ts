// ferrosocket cluster demo: the chat of examples/server.ts run as WORKERS node:cluster workers sharing one port, with
// ferrosocket/redis carrying every chat line to the members connected to the other workers. A member's name says
// which worker it is on, so two browser tabs (or two `ws` clients) on different workers show the lines crossing.
//
//   npm run example:cluster                                   # starts a private redis-server on a free port
//   REDIS_URL=redis://127.0.0.1:6379 WORKERS=4 PORT=8080 npm run example:cluster
//
// Open http://127.0.0.1:PORT/ in several tabs (connections are spread over the workers round-robin).
import cluster from 'node:cluster'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { server as WebSocketServer } from '../../ts/index.js'
import { redisAdapter } from '../../ts/redis/index.js'

const PORT = Number(process.env.PORT ?? 8080)
const WORKERS = Number(process.env.WORKERS ?? 2)
const log = (...parts: unknown[]): void => console.log(new Date().toISOString(), `[${process.pid}]`, ...parts)

if (cluster.isPrimary) {
  let redisUrl = process.env.REDIS_URL
  let redis: ReturnType<typeof spawn> | null = null
  if (!redisUrl) {
    // A private redis-server for the demo: free port, no persistence, stopped with the demo.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo
        s.close(() => resolve(port))
      })
    })
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    redis.on('error', () => {
      console.error('redis-server not found: install it (sh scripts/install-redis.sh) or set REDIS_URL')
      process.exit(1)
    })
    await new Promise<void>((resolve) => {
      let out = ''
      redis!.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('Ready to accept connections')) resolve()
      })
    })
    redisUrl = `redis://127.0.0.1:${port}`
    log(`started redis-server on ${redisUrl}`)
  }
  for (let i = 0; i < WORKERS; i++) cluster.fork({ REDIS_URL: redisUrl })
  let listening = 0
  cluster.on('listening', (_worker, address) => {
    if (++listening === WORKERS) log(`${WORKERS} workers; open http://127.0.0.1:${address.port}/ in several tabs`)
  })
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM')
    redis?.kill('SIGTERM')
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
} else {
  const page = readFileSync(new URL('../public/index.html', import.meta.url))
  const httpServer = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page)
    } else res.writeHead(404).end('not found\n')
  })
  const adapter = redisAdapter({ url: process.env.REDIS_URL!, channelPrefix: 'chat-demo:' })
  const wsServer = new WebSocketServer({ httpServer, adapter, ignoreXForwardedFor: true })
  wsServer.on('adapterError', (error: Error) => log('redis:', error.message))
  let guests = 0
  wsServer.on('request', (req) => {
    if (req.origin !== `http://${req.host}` || !req.requestedProtocols.includes('chat')) {
      req.reject(req.origin !== `http://${req.host}` ? 403 : 400, 'Use the "chat" subprotocol from this page')
      return
    }
    const conn = req.accept('chat', req.origin)
    const name = `guest-${++guests}@worker-${process.pid}`
    conn.subscribe('chat')
    conn.sendUTF(JSON.stringify({ type: 'welcome', name }))
    conn.on('message', (m) => {
      if (m.type !== 'utf8') return
      // Every member of every worker gets the line (the sender too, so all show the same order).
      wsServer.publish('chat', JSON.stringify({ type: 'line', from: name, time: new Date().toISOString(), text: m.utf8Data.slice(0, 500) }))
    })
  })
  httpServer.listen(PORT, '127.0.0.1')
  process.on('SIGTERM', async () => {
    await wsServer.shutDown()
    httpServer.close(() => process.exit(0))
  })
}
