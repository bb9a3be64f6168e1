/**
 * Topics (issue 14): connection.subscribe/unsubscribe/isSubscribed/topics/publish, server.publish and
 * subscriberCount, the lifetime of a topic, who gets a publish that races with subscribe/unsubscribe/close, and
 * the cross-process adapter hooks (two servers in one process linked by a real in-process adapter).
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import WebSocket from 'ws'
import { startServer } from './helpers/server-harness.js'
import type { Harness } from './helpers/server-harness.js'
import { rawClients, until, withTimeout } from './helpers/raw-clients.js'
import { LinkAdapter, LinkBus } from './helpers/link-adapter.js'
import type { IServerConfig } from '../ts/WebSocketServer.js'
import type { WebSocketConnection } from '../ts/WebSocketConnection.js'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import { TopicRegistry } from '../ts/pubsub/topics.js'
import { FANOUT_BACKLOG } from '../ts/connection/broadcast.js'

interface Peer {
  ws: WebSocket
  got: string[]
  conn: WebSocketConnection
}

/** `n` ws clients; each records its messages as 't:text' or 'b:hex'. */
async function peers(t: ExecutionContext, h: Harness, n: number, opts: WebSocket.ClientOptions = {}): Promise<Peer[]> {
  const out: Peer[] = []
  for (let i = 0; i < n; i++) {
    const before = h.wsServer.connections.length
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/`, opts)
    t.teardown(() => ws.terminate())
    const got: string[] = []
    ws.on('message', (data: Buffer, isBinary) => got.push(isBinary ? `b:${data.toString('hex')}` : `t:${data.toString()}`))
    ws.on('error', () => {})
    await withTimeout(new Promise((r) => ws.once('open', r)), 'open')
    await until(() => h.wsServer.connections.length === before + 1, 'server side')
    out.push({ ws, got, conn: h.wsServer.connections[before] as WebSocketConnection })
  }
  return out
}

async function server(t: ExecutionContext, config: Partial<IServerConfig> = {}): Promise<Harness> {
  return startServer(t, { autoAcceptConnections: true, ...config })
}

/** A message every peer gets, published last, so a peer's list is complete once it arrived. */
async function settle(h: Harness, ps: Peer[]): Promise<void> {
  for (const p of ps) p.conn.subscribe('\u0000fence')
  h.wsServer.publish('\u0000fence', 'fence')
  await until(() => ps.every((p) => p.got.at(-1) === 't:fence'), 'fence')
  for (const p of ps) {
    p.got.pop()
    p.conn.unsubscribe('\u0000fence')
  }
}

test('publish reaches the subscribers only; text and every kind of bytes; counts', async (t) => {
  const h = await server(t)
  const [a, b, c] = await peers(t, h, 3)
  t.true(a!.conn.subscribe('news'))
  t.false(a!.conn.subscribe('news'), 'already subscribed')
  t.true(b!.conn.subscribe('news'))
  t.true(b!.conn.subscribe('sport'))
  t.true(a!.conn.isSubscribed('news'))
  t.false(c!.conn.isSubscribed('news'))
  t.deepEqual(b!.conn.topics.sort(), ['news', 'sport'])
  t.deepEqual(c!.conn.topics, [])
  t.is(h.wsServer.subscriberCount('news'), 2)
  t.is(h.wsServer.subscriberCount('sport'), 1)
  t.is(h.wsServer.subscriberCount('weather'), 0)

  t.is(h.wsServer.publish('news', 'héllo'), 2)
  t.is(h.wsServer.publish('news', Buffer.from('0001ff', 'hex')), 2)
  const bytes = new Uint8Array([9, 8, 7, 6, 5])
  t.is(h.wsServer.publish('news', bytes.subarray(1, 3)), 2, 'a typed-array view: only its own bytes')
  t.is(h.wsServer.publish('news', new Uint16Array([0x0102]).buffer), 2, 'an ArrayBuffer')
  t.is(h.wsServer.publish('news', new DataView(bytes.buffer, 3, 2)), 2, 'a DataView')
  t.is(h.wsServer.publish('news', ''), 2, 'an empty text message')
  t.is(h.wsServer.publish('sport', 'goal'), 1)
  t.is(h.wsServer.publish('weather', 'rain'), 0, 'a topic without subscribers')
  await settle(h, [a!, b!, c!])
  const news = ['t:héllo', 'b:0001ff', 'b:0807', 'b:0201', 'b:0605', 't:']
  t.deepEqual(a!.got, news)
  t.deepEqual(b!.got, [...news, 't:goal'])
  t.deepEqual(c!.got, [])

  t.true(b!.conn.unsubscribe('news'))
  t.false(b!.conn.unsubscribe('news'))
  t.false(c!.conn.unsubscribe('never'))
  t.is(h.wsServer.publish('news', 'only a'), 1)
  await settle(h, [a!, b!])
  t.deepEqual(a!.got.at(-1), 't:only a')
  t.deepEqual(b!.got.at(-1), 't:goal')
})

test('connection.publish reaches every subscriber but the publisher, subscribed or not', async (t) => {
  const h = await server(t)
  const [a, b, c] = await peers(t, h, 3)
  for (const p of [a!, b!]) p.conn.subscribe('room')
  t.is(a!.conn.publish('room', 'from a'), 1)
  t.is(c!.conn.publish('room', Buffer.from('from c')), 2, 'a publisher need not be subscribed')
  await settle(h, [a!, b!, c!])
  t.deepEqual(a!.got, [`b:${Buffer.from('from c').toString('hex')}`])
  t.deepEqual(b!.got, ['t:from a', `b:${Buffer.from('from c').toString('hex')}`])
  t.deepEqual(c!.got, [])
})

test('the frame on the wire is what sendUTF/sendBytes put there, for every subscriber', async (t) => {
  const h = await server(t, { fragmentationThreshold: 10 })
  const raw = await rawClients(t, h, 2)
  for (const conn of h.wsServer.connections) conn.subscribe('t')
  h.wsServer.publish('t', 'x'.repeat(25))
  h.wsServer.publish('t', Buffer.from('abc'))
  const expected = '010a' + '78'.repeat(10) + '000a' + '78'.repeat(10) + '8005' + '78'.repeat(5) + '8203616263'
  await until(() => raw.every((c) => c.bytes.length === expected.length / 2), 'bytes')
  for (const c of raw) t.is(c.bytes.toString('hex'), expected)
})

test('bad topics and bad data are TypeErrors; nothing is sent', async (t) => {
  const h = await server(t)
  const [a] = await peers(t, h, 1)
  a!.conn.subscribe('x')
  t.throws(() => a!.conn.subscribe(5 as unknown as string), { instanceOf: TypeError, message: 'A topic must be a string.' })
  t.throws(() => a!.conn.unsubscribe(null as unknown as string), { instanceOf: TypeError })
  t.throws(() => h.wsServer.publish({} as unknown as string, 'x'), { instanceOf: TypeError })
  t.throws(() => h.wsServer.publish('x', 42 as unknown as string), {
    instanceOf: TypeError,
    message: 'Published data must be a string, a Buffer, an ArrayBuffer or a typed array.',
  })
  t.throws(() => h.wsServer.publish('x', null as unknown as string), { instanceOf: TypeError })
  await settle(h, [a!])
  t.deepEqual(a!.got, [])
})

test('a closed connection leaves all its topics; an emptied topic is gone; subscribing after close does nothing', async (t) => {
  const h = await server(t)
  const [a, b] = await peers(t, h, 2)
  a!.conn.subscribe('one')
  a!.conn.subscribe('two')
  b!.conn.subscribe('two')
  const closed = new Promise((r) => a!.conn.once('close', r))
  a!.ws.close()
  await withTimeout(closed, 'close')
  t.is(h.wsServer.subscriberCount('one'), 0)
  t.is(h.wsServer.subscriberCount('two'), 1)
  t.deepEqual([...h.wsServer._pubsub.registry.names()], ['two'], 'no empty topic is kept')
  t.false(a!.conn.subscribe('three'))
  t.false(a!.conn.isSubscribed('three'))
  t.is(h.wsServer.subscriberCount('three'), 0)
  t.is(h.wsServer.publish('two', 'still'), 1)
  b!.conn.unsubscribe('two')
  t.deepEqual([...h.wsServer._pubsub.registry.names()], [])
})

test('10,000 topics: subscribe, publish to each, and all of them gone when the connection closes', async (t) => {
  const bus = new LinkBus()
  const adapter = new LinkAdapter(bus)
  const h = await server(t, { adapter })
  const [a, b] = await peers(t, h, 2)
  for (let i = 0; i < 10_000; i++) t.true(a!.conn.subscribe(`topic-${i}`)) || null
  t.is(a!.conn.topics.length, 10_000)
  let sent = 0
  for (let i = 0; i < 10_000; i += 100) sent += b!.conn.publish(`topic-${i}`, `m${i}`)
  t.is(sent, 100)
  await until(() => a!.got.length === 100, 'the 100 published messages')
  t.is(a!.got[99], 't:m9900')
  t.is(adapter.topics.size, 10_000)
  const closed = new Promise((r) => a!.conn.once('close', r))
  a!.ws.terminate()
  await withTimeout(closed, 'close')
  t.deepEqual([...h.wsServer._pubsub.registry.names()], [])
  t.is(adapter.topics.size, 0, 'the adapter was told of every topic that emptied')
  t.is(adapter.calls.filter((c) => c.startsWith('unsubscribe ')).length, 10_000)
})

test('subscribe/unsubscribe/close during a publish: only those subscribed at the start and still there get it', async (t) => {
  // A subscriber whose peer does not read is cut off by maxOutputBufferSize in the middle of a publish; its
  // 'close' listener runs right then and changes the topic's subscribers.
  const limit = 64 * 1024
  const h = await server(t, { maxOutputBufferSize: limit })
  const [a] = await peers(t, h, 1)
  const raw = await rawClients(t, h, 1)
  const [c, d] = await peers(t, h, 2)
  const stuck = h.wsServer.connections[1] as WebSocketConnection
  raw[0]!.socket.pause()
  for (const conn of [a!.conn, stuck, c!.conn]) conn.subscribe('storm')
  // Fill the kernel buffers until writes queue in the socket (bounded: a few MiB at most).
  const chunk = Buffer.alloc(limit / 4)
  for (let i = 0; i < 10_000 && stuck.socket.writableLength === 0; i++) {
    stuck.sendBytes(chunk)
    await new Promise((r) => setImmediate(r))
  }
  t.true(stuck.socket.writableLength > 0 && stuck.connected)
  const order: string[] = []
  stuck.once('close', (code, desc) => {
    order.push(`close ${code} ${desc}`)
    t.true(c!.conn.unsubscribe('storm'))
    t.true(d!.conn.subscribe('storm'))
    // A nested publish from the listener goes to the subscribers of that moment: a and d.
    t.is(h.wsServer.publish('storm', 'nested'), 2)
  })
  const big = 'y'.repeat(limit + 1)
  t.is(h.wsServer.publish('storm', big), 1, 'a only: stuck was cut off, c left, d came too late')
  t.deepEqual(order, ['close 1008 Output buffer size limit exceeded.'])
  t.is(h.wsServer.subscriberCount('storm'), 2)
  t.false(stuck.isSubscribed('storm'))
  h.wsServer.publish('storm', 'after')
  await settle(h, [a!, c!, d!])
  // a had its turn (the big message) before stuck's cut-off ran the nested publish.
  t.deepEqual(a!.got.map((m) => (m === `t:${big}` ? 'big' : m)), ['big', 't:nested', 't:after'])
  t.deepEqual(c!.got, [])
  t.deepEqual(d!.got, ['t:nested', 't:after'])
})

test('registry: a subscriber added during a publish is skipped by it, one removed before its turn too', (t) => {
  const events: string[] = []
  const registry = new TopicRegistry<{ _topics: Set<string> | null; name: string }>({
    subscribe: (topic) => events.push(`+${topic}`),
    unsubscribe: (topic) => events.push(`-${topic}`),
  })
  const s = (name: string): { _topics: Set<string> | null; name: string } => ({ _topics: null, name })
  const [x, y, z, w] = [s('x'), s('y'), s('z'), s('w')]
  for (const sub of [x, y, z]) registry.subscribe(sub, 'T')
  const subs = registry.subscribers('T')!
  const started = registry.startPublish()
  const reached: string[] = []
  for (const [sub, since] of subs) {
    if (since >= started) continue
    reached.push(sub.name)
    if (sub === x) {
      registry.unsubscribe(y, 'T')
      registry.subscribe(w, 'T')
    }
  }
  t.deepEqual(reached, ['x', 'z'])
  registry.leaveAll(x)
  registry.leaveAll(z)
  registry.leaveAll(w)
  t.deepEqual(events, ['+T', '-T'])
  t.is(registry.count('T'), 0)
  t.deepEqual([...registry.names()], [])
})

test('permessage-deflate subscribers get a correctly compressed message; plain ones plain frames', async (t) => {
  const h = await server(t, { perMessageDeflate: { threshold: 0 } })
  const [z] = await peers(t, h, 1, { perMessageDeflate: true })
  const [p] = await peers(t, h, 1, { perMessageDeflate: false })
  t.true(z!.ws.extensions.includes('permessage-deflate'))
  for (const q of [z!, p!]) q.conn.subscribe('c')
  const text = 'compress me '.repeat(50)
  t.is(h.wsServer.publish('c', text), 2)
  t.is(h.wsServer.publish('c', Buffer.from('bytes')), 2)
  await settle(h, [z!, p!])
  for (const q of [z!, p!]) t.deepEqual(q.got, [`t:${text}`, `b:${Buffer.from('bytes').toString('hex')}`])
})

test('topics are a server feature: a client-side connection throws', async (t) => {
  const h = await server(t)
  const client = new WebSocketClient()
  const conn = await withTimeout(
    new Promise<WebSocketConnection>((resolve, reject) => {
      client.once('connect', resolve)
      client.once('connectFailed', reject)
      client.connect(`ws://127.0.0.1:${h.port}/`)
    }),
    'client connect',
  )
  t.teardown(() => conn.drop(1000, '', true))
  t.throws(() => conn.subscribe('x'), { message: 'Topics need a connection accepted by a WebSocketServer.' })
  t.throws(() => conn.publish('x', 'y'), { message: 'Topics need a connection accepted by a WebSocketServer.' })
  t.false(conn.isSubscribed('x'))
  t.deepEqual(conn.topics, [])
})

// -------------------------------------------------------------------------------------------------------------
// The adapter hooks
// -------------------------------------------------------------------------------------------------------------

test('adapter: two servers linked in one process; subscribe/unsubscribe on first/last, publish after local', async (t) => {
  const bus = new LinkBus()
  const one = new LinkAdapter(bus)
  const two = new LinkAdapter(bus)
  const h1 = await server(t, { adapter: one })
  const h2 = await server(t, { adapter: two })
  t.deepEqual(one.calls, ['attach'])
  t.truthy(one.host)
  const [a, b] = await peers(t, h1, 2)
  const [c] = await peers(t, h2, 1)
  a!.conn.subscribe('room')
  b!.conn.subscribe('room')
  c!.conn.subscribe('room')
  t.deepEqual(one.calls, ['attach', 'subscribe room'], 'once, for the first local subscriber')
  t.deepEqual([...one.host!.localTopics()], ['room'])

  t.is(h1.wsServer.publish('room', 'hi'), 2, 'local recipients only')
  t.deepEqual(one.delivered, [1], 'server two delivered to its one subscriber')
  t.is(a!.conn.publish('room', Buffer.from([1, 2])), 1)
  t.is(c!.conn.publish('room', 'from two'), 0, 'no other local subscriber on server two')
  t.deepEqual(one.calls.slice(2), ['publish room text 6869', 'publish room binary 0102'])
  await settle(h1, [a!, b!])
  await settle(h2, [c!])
  t.deepEqual(a!.got, ['t:hi', 't:from two'])
  t.deepEqual(b!.got, ['t:hi', 'b:0102', 't:from two'])
  t.deepEqual(c!.got, ['t:hi', 'b:0102'], 'remote publishes reach every subscriber, the publisher is elsewhere')

  a!.conn.unsubscribe('room')
  t.false(one.calls.includes('unsubscribe room'))
  const closed = new Promise((r) => b!.conn.once('close', r))
  b!.ws.close()
  await withTimeout(closed, 'close')
  t.is(one.calls.at(-1), 'unsubscribe room', 'when the last local subscriber left (it closed)')
  t.is(two.calls.filter((x) => x === 'subscribe room').length, 1)
})

test('adapter: deliverRemote refuses text that is not UTF-8 (-1, nothing sent), counts recipients otherwise', async (t) => {
  const adapter = new LinkAdapter(new LinkBus())
  const h = await server(t, { adapter })
  const [a] = await peers(t, h, 1)
  a!.conn.subscribe('t')
  const host = adapter.host!
  t.is(host.deliverRemote('t', Buffer.from('c328', 'hex'), false), -1)
  t.is(host.deliverRemote('t', Buffer.from('edbfbf', 'hex'), false), -1, 'a surrogate')
  t.is(host.deliverRemote('t', Buffer.from('c328', 'hex'), true), 1, 'the same bytes as binary are fine')
  t.is(host.deliverRemote('t', Buffer.from('ok'), false), 1)
  t.is(host.deliverRemote('nobody', Buffer.from('ok'), false), 0)
  t.false(adapter.calls.some((c) => c.startsWith('publish')), 'remote payloads are never handed back')
  await settle(h, [a!])
  t.deepEqual(a!.got, ['b:c328', 't:ok'])
})

test('adapter: a remote message is framed once for all local subscribers (the same frame bytes go to every socket)', async (t) => {
  const adapter = new LinkAdapter(new LinkBus())
  const h = await server(t, { adapter, fragmentOutgoingMessages: false })
  const ps = await peers(t, h, 4)
  const written: Buffer[][] = ps.map(() => [])
  ps.forEach((p, i) => {
    p.conn.subscribe('big')
    // Large writes go to the socket by reference (connection/outbox.ts): record what each socket is handed.
    const socket = p.conn.socket as unknown as { write: (chunk: Buffer, ...rest: unknown[]) => boolean }
    const write = socket.write.bind(socket)
    socket.write = (chunk: Buffer, ...rest: unknown[]) => {
      written[i]!.push(chunk)
      return write(chunk, ...rest)
    }
  })
  const payload = Buffer.alloc(200_000, 7)
  t.is(adapter.host!.deliverRemote('big', payload, true), 4)
  await until(() => written.every((w) => w.some((c) => c.length >= payload.length)), 'written')
  const frames = written.map((w) => w.find((c) => c.length >= payload.length)!)
  t.is(frames[0]!.length, payload.length + 10, 'one unfragmented frame: 10-byte header + payload')
  for (const f of frames.slice(1)) t.true(f === frames[0], 'the very same Buffer, encoded once')
})

test('adapter: faults become adapterError; a throwing adapter does not break local delivery; shutDown closes it', async (t) => {
  const adapter = new LinkAdapter(new LinkBus())
  const h = await server(t, { adapter })
  const errors: string[] = []
  h.wsServer.on('adapterError', (e: Error) => errors.push(e.message))
  const [a] = await peers(t, h, 1)
  a!.conn.subscribe('t')
  adapter.fault = new Error('link down')
  t.is(h.wsServer.publish('t', 'one'), 1)
  adapter.publish = () => {
    throw new Error('bug in adapter')
  }
  adapter.unsubscribe = () => {
    throw new Error('unsubscribe failed')
  }
  t.is(h.wsServer.publish('t', 'two'), 1)
  t.true(a!.conn.unsubscribe('t'))
  t.deepEqual(errors, ['link down', 'bug in adapter', 'unsubscribe failed'])
  await settle(h, [a!])
  t.deepEqual(a!.got, ['t:one', 't:two'])
  await h.wsServer.shutDown()
  t.true(adapter.closed)
  t.is(adapter.calls.at(-1), 'close')
})

test('adapter: a rejecting close() is an adapterError, shutDown still resolves; one adapter per server', async (t) => {
  const adapter = new LinkAdapter(new LinkBus())
  adapter.close = () => Promise.reject(new Error('close failed'))
  const h = await server(t, { adapter })
  const errors: string[] = []
  h.wsServer.on('adapterError', (e: Error) => errors.push(e.message))
  await h.wsServer.shutDown()
  t.deepEqual(errors, ['close failed'])
  t.throws(() => h.wsServer.mount({ httpServer: h.httpServer, adapter: new LinkAdapter(new LinkBus()) }), {
    message: 'This server already has a pub/sub adapter.',
  })
})

// -------------------------------------------------------------------------------------------------------------
// Slow consumers
// -------------------------------------------------------------------------------------------------------------

async function publishStorm(t: ExecutionContext, config: Partial<IServerConfig>, bound: number): Promise<void> {
  const h = await server(t, config)
  const raw = await rawClients(t, h, 1)
  const [reader] = await peers(t, h, 1)
  const stuck = h.wsServer.connections[0] as WebSocketConnection
  raw[0]!.socket.pause() // never reads
  stuck.subscribe('storm')
  reader!.conn.subscribe('storm')
  const closed = new Promise<[number, string]>((r) => stuck.once('close', (code, desc) => r([code, desc])))
  const message = Buffer.alloc(64 * 1024, 7)
  let peak = 0
  let sent = 0
  let counts: number[] = []
  // Bounded: the kernel takes a few MiB, then the backlog grows by 64 KiB per publish until the cut-off.
  for (let i = 0; i < 2000 && stuck.connected; i++) {
    counts.push(h.wsServer.publish('storm', message))
    sent++
    if (stuck.connected) peak = Math.max(peak, stuck.bytesWaitingToFlush)
    await new Promise((r) => setImmediate(r))
  }
  t.deepEqual(await withTimeout(closed, 'cut-off'), [1008, 'Output buffer size limit exceeded.'])
  t.true(peak <= bound + message.length + 64, `backlog peaked at ${peak}`)
  t.false(stuck.isSubscribed('storm'))
  t.is(h.wsServer.subscriberCount('storm'), 1)
  counts = [...new Set(counts)]
  t.deepEqual(counts, [2, 1], 'two recipients until the cut-off, then one')
  // The reading subscriber got every message.
  await until(() => reader!.got.length === sent, 'reader got the storm', 20_000)
  t.is(reader!.got.length, sent)
}

test('slow consumer: a subscriber that never reads is cut off (1008) at the fan-out default backlog', async (t) => {
  await publishStorm(t, {}, FANOUT_BACKLOG)
})

test('slow consumer: maxOutputBufferSize, when set, is the limit for fan-out too', async (t) => {
  await publishStorm(t, { maxOutputBufferSize: 1024 * 1024 }, 1024 * 1024)
})
