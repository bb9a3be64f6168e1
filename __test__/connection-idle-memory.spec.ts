/**
 * What the idle-memory work (issue 7) changed under the public API, held to the original's behaviour:
 * keepalive / grace-period deadlines kept in one list per duration instead of a Timeout per connection, the
 * server's one shared 'close' listener, the fast-properties listener store, the lazily created
 * `extensions` / `remoteAddresses`, and parse options shared between connections with equal limits.
 */
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { resolveConnectionOptions } from '../ts/config.js'
import type { ConnectionConfig } from '../ts/config.js'
import { deadlineLists } from '../ts/connection/base.js'
import { SOURCE_KEYS, sharedOptions } from '../ts/connection/options.js'
import { DeadlineList } from '../ts/connection/deadlines.js'
import type { DeadlineEntry } from '../ts/connection/deadlines.js'
import { WebSocketConnection } from '../ts/WebSocketConnection.js'
import { WebSocketServer } from '../ts/WebSocketServer.js'
import { connPair, ROLES, SERVER_DEFAULTS, until, within } from './helpers/conn-pair.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

class Entry implements DeadlineEntry {
  _dlPrev: DeadlineEntry | null = null
  _dlNext: DeadlineEntry | null = null
  _dlAt = 0
  _dlList: DeadlineList | null = null
  constructor(readonly name: string) {}
}

function fired(): { names: string[]; onDue: (e: DeadlineEntry) => void } {
  const names: string[] = []
  return { names, onDue: (e) => names.push((e as Entry).name) }
}

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

// ---------------------------------------------------------------------------------------------------------
// DeadlineList
// ---------------------------------------------------------------------------------------------------------

test('deadline list: entries fire in deadline order, each once, not before their duration', async (t) => {
  const registry = new Map<number, DeadlineList>()
  const { names, onDue } = fired()
  const list = DeadlineList.of(registry, 40, onDue)
  const started = performance.now()
  const a = new Entry('a')
  const b = new Entry('b')
  list.add(a)
  await sleep(10)
  list.add(b)
  t.is(list.size, 2)
  await until(() => names.length === 2, 2000, 'both due')
  t.deepEqual(names, ['a', 'b'])
  t.true(performance.now() - started >= 40)
  t.is(a._dlList, null)
  await sleep(60)
  t.deepEqual(names, ['a', 'b'], 'fired once each')
})

test('deadline list: touch() postpones an entry; remove() cancels it; an empty list leaves its registry', async (t) => {
  const registry = new Map<number, DeadlineList>()
  const { names, onDue } = fired()
  const list = DeadlineList.of(registry, 200, onDue)
  t.is(DeadlineList.of(registry, 200, onDue), list, 'one list per duration')
  const kept = new Entry('kept')
  const touched = new Entry('touched')
  const removed = new Entry('removed')
  list.add(touched)
  list.add(kept)
  list.add(removed)
  list.remove(removed)
  t.is(removed._dlList, null)
  while (names.length === 0) {
    await sleep(40)
    list.touch(touched)
  }
  // `kept` is due; `touched` was just given 200 ms more.
  t.deepEqual(names, ['kept'])
  await until(() => names.length === 2, 2000, 'the touched entry')
  t.deepEqual(names, ['kept', 'touched'])
  t.is(registry.size, 0, 'empty list removed')
})

test.serial('deadline list: an empty list keeps no timer (the process may exit)', (t) => {
  const registry = new Map<number, DeadlineList>()
  const before = timeouts()
  const list = DeadlineList.of(registry, 10_000, () => t.fail('never due'))
  const entries = Array.from({ length: 50 }, (_, i) => new Entry(String(i)))
  for (const e of entries) list.add(e)
  t.is(timeouts(), before + 1, 'one timer for 50 entries')
  for (const e of entries) list.remove(e)
  t.is(timeouts(), before)
  t.is(registry.size, 0)
})

test('deadline list: an onDue that re-adds keeps firing; other durations run independently', async (t) => {
  const registry = new Map<number, DeadlineList>()
  const counts = new Map<string, number>()
  const onDue = (e: DeadlineEntry): void => {
    const name = (e as Entry).name
    counts.set(name, (counts.get(name) ?? 0) + 1)
    if ((counts.get(name) ?? 0) < 3) DeadlineList.of(registry, Number(name), onDue).add(e)
  }
  for (const ms of [15, 25, 35, 45]) DeadlineList.of(registry, ms, onDue).add(new Entry(String(ms)))
  t.is(registry.size, 4)
  await until(() => [...counts.values()].every((n) => n === 3) && counts.size === 4, 3000, 'three rounds each')
  await sleep(60)
  t.deepEqual([...counts.values()], [3, 3, 3, 3])
  t.is(registry.size, 0)
})

test('deadline list: an onDue that throws does not stop the entries after it', async (t) => {
  const registry = new Map<number, DeadlineList>()
  const names: string[] = []
  const list = DeadlineList.of(registry, 60_000, (e) => {
    names.push((e as Entry).name)
    if ((e as Entry).name === 'a') throw new Error('listener failed')
  })
  const entries = [new Entry('a'), new Entry('b')]
  for (const e of entries) list.add(e)
  // Both due now; run by hand (from the timer, the throw would be an uncaught exception).
  for (const e of entries) e._dlAt = 0
  t.throws(() => list.run(), { message: 'listener failed' })
  t.deepEqual(names, ['a'])
  await until(() => names.length === 2, 2000, 'the entry after the throwing one')
  t.deepEqual(names, ['a', 'b'])
})

test('deadline list: delays outside 1..2^31-1 ms behave as setTimeout (1 ms)', (t) => {
  const registry = new Map<number, DeadlineList>()
  for (const ms of [0, -5, Number.NaN, 2 ** 31]) t.is(DeadlineList.of(registry, ms, () => {}).duration, 1)
  t.is(DeadlineList.of(registry, 2 ** 31 - 1, () => {}).duration, 2 ** 31 - 1)
})

// ---------------------------------------------------------------------------------------------------------
// Keepalive on connections
// ---------------------------------------------------------------------------------------------------------

for (const role of ROLES) {
  test(`${role}: keepalive without drop: each interval value pings at its own pace, never early`, async (t) => {
    const started = performance.now()
    const pairs = await Promise.all(
      [30, 300].map((keepaliveInterval) =>
        connPair(t, role, { keepalive: true, keepaliveInterval, dropConnectionOnKeepaliveTimeout: false }),
      ),
    )
    const [fast, slow] = pairs as [(typeof pairs)[0], (typeof pairs)[0]]
    await fast.waitFrames((f) => f.length >= 4, 3000)
    t.true(slow.frames().length <= Math.floor((performance.now() - started) / 300))
    await slow.waitFrames((f) => f.length >= 1, 3000)
    t.true(performance.now() - started >= 300, 'the 300 ms connection waited 300 ms')
    t.true([...fast.frames(), ...slow.frames()].every((f) => f.opcode === 9))
    t.true(fast.conn.connected && slow.conn.connected)
  })

  test(`${role}: in the grace period data keeps the connection; silence then drops it (1006)`, async (t) => {
    const p = await connPair(t, role, {
      keepalive: true,
      keepaliveInterval: 60,
      dropConnectionOnKeepaliveTimeout: true,
      keepaliveGracePeriod: 500,
    })
    await p.waitFrames((f) => f.length === 1, 3000)
    p.send('8a00')
    // A second ping (the pong restarted the keepalive timer), then a drop 500 ms later.
    await p.waitFrames((f) => f.length === 2, 3000)
    t.true(p.conn.connected)
    t.deepEqual(await p.closed(), { code: 1006, description: 'Peer not responding.' })
    t.is(p.frames().length, 2, 'two pings, no close frame')
  })

  test(`${role}: the public timer methods still work by hand`, async (t) => {
    const p = await connPair(t, role, {
      keepalive: true,
      keepaliveInterval: 10_000,
      dropConnectionOnKeepaliveTimeout: true,
      keepaliveGracePeriod: 10_000,
    })
    p.conn.clearKeepaliveTimer()
    p.conn.clearGracePeriodTimer()
    p.conn.handleKeepaliveTimer()
    const fs = await p.waitFrames((f) => f.length === 1)
    t.is(fs[0]!.opcode, 9)
    p.conn.handleGracePeriodTimer()
    t.deepEqual(await p.closed(), { code: 1006, description: 'Peer not responding.' })
  })
}

test.serial('closed connections leave the keepalive and grace lists', async (t) => {
  const config = { keepalive: true, keepaliveInterval: 4321, keepaliveGracePeriod: 10_000 }
  const pairs = await Promise.all(Array.from({ length: 6 }, () => connPair(t, 'server', config)))
  t.is(deadlineLists.keepalive.get(4321)?.size, 6)
  // Two in the grace period, as after an unanswered ping.
  for (const p of pairs.slice(0, 2)) p.conn.handleKeepaliveTimer()
  t.is(deadlineLists.keepalive.get(4321)?.size, 4)
  t.is(deadlineLists.grace.get(10_000)?.size, 2)
  pairs[0]!.conn.drop(1000, 'bye')
  pairs[2]!.conn.close()
  pairs[3]!.peer.destroy()
  pairs[4]!.conn.socket.destroy()
  await Promise.all([0, 3, 4].map((i) => pairs[i]!.closed()))
  t.is(deadlineLists.keepalive.get(4321)?.size, 2, 'the open one and the closing one (as in WebSocket-Node)')
  t.is(deadlineLists.grace.get(10_000)?.size, 1)
  for (const i of [1, 2, 5]) pairs[i]!.peer.destroy()
  await Promise.all([1, 2, 5].map((i) => pairs[i]!.closed()))
  t.false(deadlineLists.keepalive.has(4321))
  t.false(deadlineLists.grace.has(10_000))
})

test.serial('idle connections with keepalive on hold no Timeout each', async (t) => {
  const before = timeouts()
  const pairs = await Promise.all(
    Array.from({ length: 20 }, () =>
      connPair(t, 'server', { keepalive: true, keepaliveInterval: 7777, keepaliveGracePeriod: 7777 }),
    ),
  )
  t.true(timeouts() - before <= 1, `${timeouts() - before} timers for 20 connections`)
  for (const p of pairs) p.conn.drop()
  t.true(timeouts() - before <= 0, 'none left (close timers after drop() are unref-ed)')
})

test.serial('a closed connection with keepalive on is garbage (nothing in the lists keeps it)', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1')
  client.on('error', () => {})
  t.teardown(() => {
    client.destroy()
    server.close()
  })
  // Held in an object the test clears: the promise would keep the socket (and so the connection) alive.
  const accepted: { p: Promise<[net.Socket]> | null } = { p: once(server, 'connection') as Promise<[net.Socket]> }
  const refs = await (async (): Promise<Array<WeakRef<object>>> => {
    const [socket] = await accepted.p!
    accepted.p = null
    const a = new WebSocketConnection(socket, [], undefined, false, {
      ...SERVER_DEFAULTS,
      keepalive: true,
      keepaliveInterval: 60_000,
      keepaliveGracePeriod: 60_000,
    })
    a._addSocketEventListeners()
    a.handleKeepaliveTimer()
    t.is(deadlineLists.grace.get(60_000)?.size, 1)
    a.drop(1001, 'gone', true)
    await once(socket, 'close')
    return [new WeakRef(a)]
  })()
  for (let i = 0; i < 10 && refs.some((r) => r.deref() !== undefined); i++) {
    await new Promise((r) => setImmediate(r))
    gc()
  }
  t.is(refs[0]!.deref(), undefined)
  t.false(deadlineLists.grace.has(60_000))
})

// ---------------------------------------------------------------------------------------------------------
// Server, listener store, lazy properties, shared parse options
// ---------------------------------------------------------------------------------------------------------

async function startServer(
  t: ExecutionContext,
  config: Record<string, unknown> = {},
): Promise<{ wsServer: WebSocketServer; port: number }> {
  const httpServer = http.createServer()
  const wsServer = new WebSocketServer({ httpServer, keepalive: false, autoAcceptConnections: true, ...config })
  t.teardown(() => {
    wsServer.shutDown()
    httpServer.closeAllConnections()
    httpServer.close()
  })
  httpServer.listen(0, '127.0.0.1')
  await once(httpServer, 'listening')
  return { wsServer, port: (httpServer.address() as AddressInfo).port }
}

async function rawClient(t: ExecutionContext, port: number, headers = ''): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  t.teardown(() => socket.destroy())
  socket.write(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`,
  )
  const [data] = (await within(once(socket, 'data'), 3000, 'the 101')) as [Buffer]
  t.regex(data.toString('latin1'), /^HTTP\/1\.1 101 /)
  return socket
}

test("server: one 'close' per connection; the server's listener leaves, the app's listeners still run", async (t) => {
  const { wsServer, port } = await startServer(t)
  const connected: WebSocketConnection[] = []
  wsServer.on('connect', (c) => connected.push(c))
  const closes: Array<[WebSocketConnection, number, string]> = []
  wsServer.on('close', (c, code, description) => closes.push([c, code, description]))
  const sockets = [await rawClient(t, port), await rawClient(t, port)]
  t.is(wsServer.connections.length, 2)
  const [a, b] = connected as [WebSocketConnection, WebSocketConnection]
  t.is(a.listenerCount('close'), 1)
  const appSaw: number[] = []
  a.on('close', (code: number) => appSaw.push(code))
  a.drop(1001, 'going')
  t.deepEqual(closes, [[a, 1001, 'going']])
  t.deepEqual(appSaw, [1001])
  t.is(a.listenerCount('close'), 1, "only the app's listener is left")
  t.deepEqual(wsServer.connections, [b])
  a.emit('close', 1000, 'again')
  t.is(closes.length, 1, 'the server saw the first close only, as with once()')
  sockets[1]!.destroy()
  await until(() => closes.length === 2, 3000, "the second connection's close")
  t.is(closes[1]![0], b)
  t.is(closes[1]![1], 1006)
  t.deepEqual(wsServer.connections, [])
})

test('connection events named like Object.prototype members work as any other', async (t) => {
  const p = await connPair(t, 'server')
  const c = p.conn
  for (const name of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
    t.false(c.emit(name), `${name}: nothing listens`)
    t.is(c.listenerCount(name), 0)
    const seen: number[] = []
    const listener = (n: number): void => {
      seen.push(n)
    }
    c.on(name, listener)
    t.true(c.emit(name, 7))
    t.deepEqual(seen, [7])
    t.true(c.eventNames().includes(name))
    c.removeListener(name, listener)
    t.false(c.emit(name, 8))
    t.deepEqual(seen, [7])
  }
  const messages: string[] = []
  c.on('message', (m) => messages.push(m.type === 'utf8' ? m.utf8Data : 'binary'))
  c.removeAllListeners('message')
  c.on('message', (m) => messages.push(m.type === 'utf8' ? m.utf8Data : 'binary'))
  p.send('8102' + '6869')
  await until(() => messages.length === 1, 3000, 'the message')
  t.deepEqual(messages, ['hi'])
})

test('connection.extensions and remoteAddresses: created on first read, stable, assignable', async (t) => {
  const { wsServer, port } = await startServer(t)
  const connected: WebSocketConnection[] = []
  wsServer.on('connect', (c) => connected.push(c))
  await rawClient(t, port)
  await rawClient(t, port, 'X-Forwarded-For: 10.1.2.3\r\n')
  const [plain, forwarded] = connected as [WebSocketConnection, WebSocketConnection]
  const extensions = plain.extensions
  t.deepEqual(extensions, [])
  t.is(plain.extensions, extensions, 'the array made on first read is kept (not a new one per read)')
  const addresses = plain.remoteAddresses
  t.deepEqual(addresses, ['127.0.0.1'])
  t.is(plain.remoteAddresses, addresses, 'the array made on first read is kept (not a new one per read)')
  t.is(plain.remoteAddress, '127.0.0.1')
  t.deepEqual(forwarded.remoteAddresses, ['10.1.2.3', '127.0.0.1'])
  t.is(forwarded.remoteAddress, '10.1.2.3')
  plain.remoteAddresses = ['x']
  plain.extensions = [{ name: 'y', params: [] }]
  t.deepEqual(plain.remoteAddresses, ['x'])
  t.deepEqual(plain.extensions, [{ name: 'y', params: [] }])
  // Still readable after the socket is gone (the close handlers of applications log it).
  const other = connected[1]!
  other.socket.destroy()
  await once(other, 'close')
  t.deepEqual(other.remoteAddresses, ['10.1.2.3', '127.0.0.1'])
  const p = await connPair(t, 'client')
  t.is(p.conn.remoteAddresses, undefined, 'client side: none')
})

test('a plain connection remembers its peer address after the socket closed', async (t) => {
  const { wsServer, port } = await startServer(t)
  const connected = once(wsServer, 'connect') as Promise<[WebSocketConnection]>
  const socket = await rawClient(t, port)
  const [conn] = await connected
  socket.destroy()
  await once(conn, 'close')
  t.deepEqual(conn.remoteAddresses, ['127.0.0.1'])
})

test('connections with different frame limits in one process each keep their own (shared parse options)', async (t) => {
  const small = await connPair(t, 'server', { maxReceivedFrameSize: 4 })
  const large = await connPair(t, 'server', { maxReceivedFrameSize: 8 })
  const same = await connPair(t, 'server', { maxReceivedFrameSize: 4 })
  const got: string[] = []
  large.conn.on('message', (m) => got.push(m.type === 'utf8' ? m.utf8Data : ''))
  for (const p of [small, large, same]) p.send('8106' + '616263646566')
  t.deepEqual(await small.closed(), {
    code: 1009,
    description: 'Frame size of 6 bytes exceeds maximum accepted frame size',
  })
  t.is((await same.closed()).code, 1009)
  await until(() => got.length === 1, 3000, 'the message within the larger limit')
  t.deepEqual(got, ['abcdef'])
  t.true(large.conn.connected)
})

test('connection state booleans are independent read/write properties (one field underneath)', async (t) => {
  const server = (await connPair(t, 'server')).conn
  const client = (await connPair(t, 'client', { assembleFragments: false })).conn
  const names = [
    'connected',
    'closeEventEmitted',
    'waitingForCloseResponse',
    'receivedEnd',
    'outputBufferFull',
    'inputPaused',
    'socketHadError',
    'maskOutgoingPackets',
    'assembleFragments',
  ] as const
  const read = (c: WebSocketConnection): boolean[] => names.map((n) => c[n])
  t.deepEqual(read(server), [true, false, false, false, false, false, false, false, true])
  t.deepEqual(read(client), [true, false, false, false, false, false, false, true, false])
  for (const [i, name] of names.entries()) {
    const before = read(server)
    server[name] = !before[i]
    t.deepEqual(
      read(server),
      before.map((v, j) => (j === i ? !v : v)),
      name,
    )
    server[name] = before[i]!
    t.deepEqual(read(server), before)
  }
  t.deepEqual(read(client), [true, false, false, false, false, false, false, true, false], 'not shared')
})

test('closeTimeout / maxReceivedMessageSize: from the config; a set affects that connection only', async (t) => {
  const config = { closeTimeout: 5000, maxReceivedMessageSize: 1000 }
  const a = await connPair(t, 'server', config)
  const b = await connPair(t, 'server', config)
  t.is(a.conn.closeTimeout, 5000)
  t.is(a.conn.maxReceivedMessageSize, 1000)
  a.conn.closeTimeout = 50
  a.conn.maxReceivedMessageSize = 4
  t.is(a.conn.closeTimeout, 50)
  t.is(a.conn.maxReceivedMessageSize, 4)
  t.is(b.conn.closeTimeout, 5000)
  t.is(b.conn.maxReceivedMessageSize, 1000)
  // The peer never answers the close frame: the socket is destroyed after 50 ms, not 5 s.
  a.conn.close()
  t.is((await a.closed(2000)).code, 1000)
  t.true(a.conn.socket.destroyed)
  t.true(b.conn.connected)
})

test('shared options: one object per config while its values hold; a change to any key read counts', (t) => {
  const config: ConnectionConfig = { keepalive: true, keepaliveInterval: 1000, keepaliveGracePeriod: 500 }
  const read = new Set<string | symbol>()
  resolveConnectionOptions(
    new Proxy(config, {
      get: (target, key) => {
        read.add(key)
        return Reflect.get(target, key)
      },
    }),
  )
  t.deepEqual([...read].map(String).sort(), [...SOURCE_KEYS].sort(), 'the watched keys are the ones read')
  const first = sharedOptions(config)
  t.is(sharedOptions(config), first)
  t.is(sharedOptions({ ...config }).keepaliveInterval, 1000, 'another config object, same values')
  let previous = first
  for (const key of SOURCE_KEYS) {
    ;(config as Record<string, unknown>)[key] = key === 'keepalive' ? false : 9
    const now = sharedOptions(config)
    t.not(now, previous, key)
    t.is(sharedOptions(config), now, `${key}: cached again`)
    previous = now
  }
  t.is(previous.closeTimeout, 9)
  t.is(first.closeTimeout, 5000, 'the shared object itself never changes')
})

test('deadline list: adding an entry that is in another list moves it (never in two lists)', (t) => {
  const registry = new Map<number, DeadlineList>()
  const a = DeadlineList.of(registry, 30_000, () => t.fail('never due'))
  const b = DeadlineList.of(registry, 40_000, () => t.fail('never due'))
  const e = new Entry('e')
  a.add(e)
  b.add(e)
  t.is(e._dlList, b)
  t.is(a.size, 0)
  t.is(b.size, 1)
  t.false(registry.has(30_000))
  b.remove(e)
  t.is(registry.size, 0)
})
