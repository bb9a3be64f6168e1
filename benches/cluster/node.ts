/**
 * One server process of the cluster benchmark (benches/cluster/run.ts). BENCH_IMPL:
 * - `ferrosocket`: a WebSocketServer with ferrosocket/redis on REDIS_URL (or no adapter when BENCH_SOLO=1); a
 *   connection to `/` subscribes to 'bench', a text message on `/pub` is `server.publish('bench', text)`.
 * - `socketio`: socket.io 4 with @socket.io/redis-adapter on the same Redis; a socket joins room 'bench' on
 *   connection unless its handshake query has pub=1, and its 'pub' event is `io.to('bench').emit('m', text)`.
 * Sends { port } over IPC once listening; { op: 'stats' } → adapter counters; { op: 'close' } → shuts down.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

const impl = process.env.BENCH_IMPL
const url = process.env.REDIS_URL!
const solo = process.env.BENCH_SOLO === '1'
const httpServer = http.createServer((_req, res) => res.writeHead(404).end())
let close: () => Promise<void>
let stats: () => unknown = () => ({})

if (impl === 'ferrosocket') {
  const { server: WebSocketServer } = await import('../../ts/index.js')
  const { redisAdapter } = await import('../../ts/redis/index.js')
  const adapter = solo ? undefined : redisAdapter({ url, channelPrefix: 'bench:' })
  const wsServer = new WebSocketServer({ httpServer, adapter })
  wsServer.on('adapterError', (e: Error) => console.error('[bench node] adapterError', e.message))
  wsServer.on('request', (req) => {
    const c = req.accept(null, req.origin)
    if (req.resourceURL.pathname === '/pub') {
      c.on('message', (m) => {
        if (m.type === 'utf8') wsServer.publish('bench', m.utf8Data)
      })
    } else c.subscribe('bench')
  })
  await adapter?.ready()
  stats = () => adapter?.stats ?? {}
  close = async () => {
    await wsServer.shutDown()
  }
} else if (impl === 'socketio') {
  const { Server } = await import('socket.io')
  const { createAdapter } = await import('@socket.io/redis-adapter')
  const { createClient } = await import('redis')
  const pub = createClient({ url })
  const sub = pub.duplicate()
  await Promise.all([pub.connect(), sub.connect()])
  const io = new Server(httpServer, { transports: ['websocket'], adapter: solo ? undefined : createAdapter(pub, sub) })
  io.on('connection', (socket) => {
    if (socket.handshake.query.pub === '1') socket.on('pub', (text: string) => io.to('bench').emit('m', text))
    else void socket.join('bench')
  })
  close = async () => {
    await new Promise<void>((resolve) => io.close(() => resolve()))
    await Promise.all([pub.close(), sub.close()])
  }
} else throw new Error(`BENCH_IMPL=${impl}`)

httpServer.listen(0, '127.0.0.1', () => process.send!({ port: (httpServer.address() as AddressInfo).port }))
process.on('message', async (msg: { op: string }) => {
  if (msg.op === 'stats') process.send!({ stats: stats() })
  if (msg.op === 'close') {
    httpServer.closeAllConnections()
    await close()
    httpServer.close()
    process.disconnect()
  }
})
