// ferrosocket/redis against a real redis-server (started here on a free 127.0.0.1 port, no persistence), with
// in-process hosts standing in for servers: wire format, interest, sharded mode, faults, close. The end-to-end tests
// with real servers in real processes are in redis-cluster.spec.ts.
import test from 'ava'
import createDebug from 'debug'
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { HEADER_BYTES, decodeEnvelope, encodeEnvelope, newOrigin } from '../ts/redis/envelope.js'
import { RedisAdapter, RedisAdapterError, redisAdapter, type IORedisLike, type RedisClientLike } from '../ts/redis/index.js'
import { startRedis, type RedisServer } from './helpers/redis-server.js'
import { TestHost, adminClient, numsub, waitFor, type Admin } from './helpers/redis-host.js'

let redis: RedisServer
let admin: Admin
let prefixes = 0
/** A channel prefix of its own per test, so the tests share one Redis without hearing each other. */
const freshPrefix = () => `t${process.pid}-${++prefixes}:`

test.before(async () => {
  redis = await startRedis()
  admin = await adminClient(redis.url)
})
test.after.always(async () => {
  await admin?.close().catch(() => {})
  await redis?.dispose()
})

/** A redis-server of the test's own (for restarts, CLIENT KILL, CLIENT PAUSE) and an admin client on it. */
async function privateRedis(t: { teardown: (fn: () => Promise<void>) => void }) {
  const own = await startRedis()
  t.teardown(() => own.dispose())
  const ownAdmin = await adminClient(own.url)
  t.teardown(() => ownAdmin.close().then(() => {}, () => {}))
  return { own, ownAdmin }
}

/** Two adapters (two "processes") on `url`, closed at teardown. */
async function pair(t: { teardown: (fn: () => Promise<void>) => void }, url: string, extra: object = {}) {
  const channelPrefix = freshPrefix()
  const a = new TestHost(redisAdapter({ url, channelPrefix, ...extra }))
  const b = new TestHost(redisAdapter({ url, channelPrefix, ...extra }))
  t.teardown(async () => {
    await a.adapter.close()
    await b.adapter.close()
  })
  await Promise.all([a.adapter.ready(), b.adapter.ready()])
  return { a, b, channelPrefix }
}

test('envelope: header layout, own origin recognised, malformed inputs and other prefixes named', (t) => {
  const origin = newOrigin()
  const env = encodeEnvelope(origin, 12, Buffer.from('hi'), false)
  t.is(HEADER_BYTES, 22)
  t.is(env.length, HEADER_BYTES + 2)
  t.is(env.subarray(0, 2).toString('hex'), '0100')
  t.deepEqual(env.subarray(2, 18), origin)
  t.is(env.readUInt32BE(18), 12)
  t.is(env.subarray(22).toString(), 'hi')
  t.is(encodeEnvelope(origin, 0, Buffer.alloc(0), true).subarray(0, 2).toString('hex'), '0101')
  t.deepEqual(decodeEnvelope(env, origin, 12), { kind: 'own' })
  const other = decodeEnvelope(env, newOrigin(), 12)
  t.is(other.kind, 'message')
  if (other.kind === 'message') t.is(other.payload.toString(), 'hi')
  t.regex(String((decodeEnvelope(Buffer.alloc(21), origin, 12) as { reason: string }).reason), /shorter than the header/)
  const v2 = Buffer.from(env)
  v2[0] = 2
  t.regex(String((decodeEnvelope(v2, origin, 12) as { reason: string }).reason), /unknown version 2/)
  const flags = Buffer.from(env)
  flags[1] = 0x03
  t.regex(String((decodeEnvelope(flags, origin, 12) as { reason: string }).reason), /unknown flags 0x3/)
  t.regex(String((decodeEnvelope(env, newOrigin(), 4) as { reason: string }).reason), /channelPrefix of 12 bytes, ours has 4/)
})

test('options: url or client required, bad prefix and maxPendingBytes refused, one server per adapter', (t) => {
  t.throws(() => redisAdapter({}), { instanceOf: TypeError, message: /url.*client/ })
  t.throws(() => redisAdapter({ url: 'redis://x', channelPrefix: 3 as unknown as string }), { instanceOf: TypeError })
  t.throws(() => redisAdapter({ url: 'redis://x', maxPendingBytes: 0 }), { instanceOf: TypeError })
  t.throws(() => redisAdapter({ url: 'redis://x', maxMessageBytes: -1 }), { instanceOf: TypeError })
  t.throws(() => redisAdapter({ url: 'redis://x', maxMessageBytes: Number.NaN }), { instanceOf: TypeError })
  const adapter = redisAdapter({ url: redis.url })
  t.is(adapter.channelPrefix, 'ferrosocket:')
  t.false(adapter.sharded)
  return adapter.ready().then(
    () => t.fail('ready() before attach must reject'),
    (error: Error) => t.regex(error.message, /not attached/),
  )
})

test('text and binary cross byte-exact at every size; a process never gets its own message; order is kept', async (t) => {
  const { a, b } = await pair(t, redis.url)
  a.subscribe('room')
  b.subscribe('room')
  await waitFor('both subscribed', async () => (await numsub(admin, `${a.adapter.channelPrefix}room`)) === 2)
  const sizes = [0, 1, 125, 126, 127, 65535, 65536, 70_000, 1 << 20]
  const sent: { data: Buffer; binary: boolean }[] = []
  for (const size of sizes) {
    const bin = randomBytes(size)
    sent.push({ data: bin, binary: true })
    // Text of exactly `size` bytes with multi-byte characters in it (UTF-8 stays byte-exact).
    const text = Buffer.from('é€😀x'.repeat(Math.ceil(size / 10) + 1)).subarray(0, size)
    const valid = Buffer.from(text.toString('utf8').replace(/\uFFFD+$/, ''))
    sent.push({ data: valid, binary: false })
  }
  for (let i = 0; i < 1000; i++) sent.push({ data: Buffer.from(`seq ${i}`), binary: false })
  for (const m of sent) a.publish('room', m.data, m.binary)
  await waitFor('all delivered to b', () => b.got.length >= sent.length).catch((e: Error) => {
    throw new Error(`${e.message}; b ${JSON.stringify(b.adapter.stats)} a ${JSON.stringify(a.adapter.stats)} ${b.got.length}/${sent.length}`)
  })
  t.is(b.got.length, sent.length)
  for (let i = 0; i < sent.length; i++) {
    t.is(b.got[i]!.binary, sent[i]!.binary, `message ${i}`)
    t.true(b.got[i]!.data.equals(sent[i]!.data), `message ${i} byte-exact`)
  }
  // a published, b published nothing: a's own messages came back from Redis and were skipped.
  await waitFor('a acknowledged', () => a.adapter.stats.published === sent.length)
  t.is(a.got.length, 0)
  t.deepEqual(a.adapter.stats, { published: sent.length, lost: 0, pending: 0, received: 0, dropped: 0 })
  t.like(b.adapter.stats, { received: sent.length, dropped: 0, lost: 0 })
  t.deepEqual([...a.errors, ...b.errors], [])
})

test('large messages: several MiB and exactly maxMessageBytes (16 MiB default) cross byte-exact; one byte more is not sent, counted lost, reported each time', async (t) => {
  t.timeout(120_000)
  const { a, b, channelPrefix } = await pair(t, redis.url)
  b.subscribe('big')
  await waitFor('b subscribed', async () => (await numsub(admin, `${channelPrefix}big`)) === 1)
  const limit = 16 * 1024 * 1024
  const bin = randomBytes(limit)
  // Text of exactly `limit` bytes: 3-byte characters, then ASCII to fill.
  const text = Buffer.from('€'.repeat(Math.floor((limit - 10) / 3)) + 'x'.repeat(limit - 3 * Math.floor((limit - 10) / 3)))
  t.is(text.length, limit)
  const mid = randomBytes(5 * 1024 * 1024 + 7)
  // One at a time: Redis drops a subscriber whose unread messages pass its pubsub output-buffer limit (32 MB by
  // default), so a burst of several 16 MiB messages is lost (next test); each one alone always fits.
  let n = 0
  for (const [data, binary] of [[mid, true], [bin, true], [text, false]] as const) {
    a.publish('big', data, binary)
    n++
    await waitFor(`large message ${n} delivered`, () => b.got.length === n, 60_000)
  }
  a.publish('big', Buffer.alloc(limit + 1, 1), true)
  a.publish('big', Buffer.from('x'.repeat(limit + 1)), false)
  a.publish('big', 'small after', false)
  await waitFor('delivered', () => b.got.length >= 4, 60_000)
  await waitFor('acknowledged', () => a.adapter.stats.pending === 0, 60_000)
  t.is(b.got.length, 4)
  t.true(b.got[0]!.binary && b.got[0]!.data.equals(mid))
  t.true(b.got[1]!.binary && b.got[1]!.data.equals(bin))
  t.true(!b.got[2]!.binary && b.got[2]!.data.equals(text))
  t.deepEqual(b.got[3], { topic: 'big', data: Buffer.from('small after'), binary: false })
  t.like(a.adapter.stats, { published: 4, lost: 2, pending: 0 })
  const reports = a.errors.filter((e) => (e as RedisAdapterError).code === 'FERROSOCKET_REDIS_PUBLISH_LOST')
  t.is(reports.length, 2, 'each oversized publish is reported')
  for (const r of reports) {
    t.is((r as RedisAdapterError).lost, 1)
    t.regex(r.message, /16777217 bytes .*larger than maxMessageBytes 16777216/)
  }
  // Nothing disturbed the subscriber link (an oversized message would have made Redis drop it).
  t.deepEqual(b.errors, [])
})

test('a message past Redis\' pubsub output-buffer limit (maxMessageBytes raised past it): Redis drops the subscriber; it comes back subscribed and delivering', async (t) => {
  t.timeout(60_000)
  const { own, ownAdmin } = await privateRedis(t)
  await ownAdmin.sendCommand(['CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 0 0'])
  const { a, b, channelPrefix } = await pair(t, own.url, { maxMessageBytes: 4 << 20 })
  b.subscribe('o')
  await waitFor('b subscribed', async () => (await numsub(ownAdmin, `${channelPrefix}o`)) === 1)
  a.publish('o', Buffer.alloc(2 << 20, 1))
  // Redis accepted it (the publisher counts it published) and then closed b's subscriber link instead of sending it.
  await waitFor('b reports its subscriber link dropped', () =>
    b.errors.some((e) => (e as RedisAdapterError).code === 'FERROSOCKET_REDIS_CONNECTION' && /subscriber/.test(e.message)),
  )
  await waitFor('b resubscribed', async () => b.adapter.connected && (await numsub(ownAdmin, `${channelPrefix}o`)) === 1)
  await waitFor('delivering again', async () => {
    a.publish('o', 'after')
    await new Promise((resolve) => setTimeout(resolve, 50))
    return b.got.length > 0
  })
  t.true(b.got.every((d) => d.data.toString() === 'after'), 'the oversized message never arrived')
  t.is(a.adapter.stats.lost, 0, 'the publisher cannot know: Redis accepted every publish')
})

test('interest: a process is subscribed in Redis exactly while it has a local subscriber', async (t) => {
  const { a, b, channelPrefix } = await pair(t, redis.url)
  const channel = `${channelPrefix}news`
  b.subscribe('news')
  b.subscribe('news')
  await waitFor('b subscribed', async () => (await numsub(admin, channel)) === 1)
  a.publish('news', 'one')
  await waitFor('one delivered', () => b.got.length === 1)
  b.unsubscribe('news')
  a.publish('news', 'two')
  await waitFor('two delivered (one local subscriber left)', () => b.got.length === 2)
  b.unsubscribe('news')
  await waitFor('b unsubscribed in Redis', async () => (await numsub(admin, channel)) === 0)
  a.publish('news', 'three')
  // A marker on another topic b listens to: once it arrived, 'three' (published before it) would have too.
  b.subscribe('marker')
  await waitFor('marker subscribed', async () => (await numsub(admin, `${channelPrefix}marker`)) === 1)
  a.publish('marker', 'm')
  await waitFor('marker delivered', () => b.of('marker').length === 1)
  t.deepEqual(b.of('news').map((d) => d.data.toString()), ['one', 'two'])
  // Churn: subscribe/unsubscribe in quick succession ends in the last state.
  for (let i = 0; i < 50; i++) {
    b.subscribe('churn')
    b.unsubscribe('churn')
  }
  b.subscribe('churn')
  await waitFor('churn ends subscribed', async () => (await numsub(admin, `${channelPrefix}churn`)) === 1)
  for (let i = 0; i < 50; i++) {
    b.unsubscribe('churn')
    b.subscribe('churn')
  }
  b.unsubscribe('churn')
  await waitFor('churn ends unsubscribed', async () => (await numsub(admin, `${channelPrefix}churn`)) === 0)
})

test('malformed messages on our prefix are dropped with a debug line, never delivered', async (t) => {
  const { a, b, channelPrefix } = await pair(t, redis.url)
  b.subscribe('x')
  await waitFor('b subscribed', async () => (await numsub(admin, `${channelPrefix}x`)) === 1)
  const lines: string[] = []
  const savedLog = createDebug.log
  const savedNamespaces = createDebug.disable()
  createDebug.enable('ferrosocket:redis')
  createDebug.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '))
  }
  try {
    const good = encodeEnvelope(newOrigin(), Buffer.byteLength(channelPrefix), Buffer.from('ok'), false)
    const badVersion = Buffer.from(good)
    badVersion[0] = 9
    const badFlags = Buffer.from(good)
    badFlags[1] = 0x80
    const badUtf8 = encodeEnvelope(newOrigin(), Buffer.byteLength(channelPrefix), Buffer.from([0x68, 0xc3, 0x28]), false)
    const channel = `${channelPrefix}x`
    for (const raw of [Buffer.from('hello'), Buffer.alloc(0), badVersion, badFlags, badUtf8, good]) {
      await admin.publish(channel, raw)
    }
    await waitFor('good one delivered', () => b.got.length === 1)
    t.is(b.got[0]!.data.toString(), 'ok')
    t.like(b.adapter.stats, { dropped: 5, received: 1 })
    // Only this test's channel: other tests run concurrently and log their own drops.
    t.is(lines.filter((l) => l.includes('dropped') && l.includes(` ${channel} `)).length, 5, lines.join('\n'))
    t.true(lines.some((l) => l.includes('unknown version 9')))
    t.true(lines.some((l) => l.includes('not valid UTF-8')))
    t.deepEqual(b.errors, [])
  } finally {
    createDebug.log = savedLog
    createDebug.enable(savedNamespaces)
  }
  t.is(a.got.length, 0)
})

test('two applications whose channelPrefixes nest (\'app:\' and \'app:chat:\') share channel names but never hear each other', async (t) => {
  const outer = `${freshPrefix()}app:`
  const inner = `${outer}chat:`
  // Same channel: outer + 'chat:x' === inner + 'x'.
  const a = new TestHost(redisAdapter({ url: redis.url, channelPrefix: outer }))
  const a2 = new TestHost(redisAdapter({ url: redis.url, channelPrefix: outer }))
  const b = new TestHost(redisAdapter({ url: redis.url, channelPrefix: inner }))
  const b2 = new TestHost(redisAdapter({ url: redis.url, channelPrefix: inner }))
  t.teardown(() => Promise.all([a, a2, b, b2].map((h) => h.adapter.close())).then(() => {}))
  await Promise.all([a, a2, b, b2].map((h) => h.adapter.ready()))
  a.subscribe('chat:x')
  b.subscribe('x')
  await waitFor('both subscribed to the one channel', async () => (await numsub(admin, `${inner}x`)) === 2)
  b2.publish('x', 'for the inner app')
  b2.publish('x', 'marker b')
  a2.publish('chat:x', 'for the outer app')
  a2.publish('chat:x', 'marker a')
  // a and b each hear all four messages on the one channel (no order between the two publishers): wait until each
  // has handled all four, delivered or dropped, then look at what was delivered.
  const handled = (h: TestHost) => h.adapter.stats.received + h.adapter.stats.dropped
  await waitFor('all four handled by both', () => handled(a) >= 4 && handled(b) >= 4)
  t.deepEqual(a.got.map((d) => d.data.toString()), ['for the outer app', 'marker a'])
  t.deepEqual(b.got.map((d) => d.data.toString()), ['for the inner app', 'marker b'])
  t.like(a.adapter.stats, { received: 2, dropped: 2 })
  t.like(b.adapter.stats, { received: 2, dropped: 2 })
})

for (const sharded of [false, true]) {
  test(`topics are literal channels${sharded ? ' (sharded)' : ''}: Redis glob characters never match other topics; a 1 MiB topic name works`, async (t) => {
    const { a, b, channelPrefix } = await pair(t, redis.url, { sharded })
    const globs = ['a*', 'h?llo', '[ab]c', '*', 'x\\*']
    for (const topic of globs) b.subscribe(topic)
    const huge = `huge:${'é'.repeat(512 * 1024)}`
    b.subscribe(huge)
    await waitFor('b subscribed', async () => (await numsub(admin, `${channelPrefix}${huge}`, sharded)) === 1)
    for (const topic of globs) t.is(await numsub(admin, `${channelPrefix}${topic}`, sharded), 1)
    // Topics each glob would match as a pattern: none of them may reach b.
    for (const topic of ['abc', 'a', 'hello', 'hallo', 'ac', 'bc', 'x*', 'xyz', 'huge:', `${huge}x`, huge.slice(0, -1)]) {
      a.publish(topic, `no:${topic.slice(0, 20)}`)
    }
    for (const topic of [...globs, huge]) a.publish(topic, `yes:${topic.slice(0, 20)}`)
    await waitFor('the literal ones delivered', () => b.got.length >= globs.length + 1)
    await waitFor('a acknowledged', () => a.adapter.stats.published === 11 + globs.length + 1)
    // A marker after everything on a topic b has: anything else that was going to arrive has arrived.
    a.publish('a*', 'marker')
    await waitFor('marker', () => b.got.some((d) => d.data.toString() === 'marker'))
    t.deepEqual(
      b.got.map((d) => [d.topic.slice(0, 20), d.data.toString()]),
      [...[...globs, huge].map((topic) => [topic.slice(0, 20), `yes:${topic.slice(0, 20)}`]), ['a*', 'marker']],
    )
  })
}

test('client mode: the application owns its client; the adapter duplicates it and never closes it', async (t) => {
  const app = createClient({ url: redis.url })
  app.on('error', () => {})
  await app.connect()
  t.teardown(() => app.close().catch(() => {}))
  const channelPrefix = freshPrefix()
  const a = new TestHost(redisAdapter({ client: app, channelPrefix }))
  const b = new TestHost(redisAdapter({ url: redis.url, channelPrefix }))
  await Promise.all([a.adapter.ready(), b.adapter.ready()])
  b.subscribe('t')
  a.subscribe('t')
  await waitFor('both subscribed', async () => (await numsub(admin, `${channelPrefix}t`)) === 2)
  a.publish('t', Buffer.from([1, 2, 3]))
  b.publish('t', 'from b')
  await waitFor('crossed', () => a.got.length === 1 && b.got.length === 1)
  t.deepEqual(a.got[0], { topic: 't', data: Buffer.from('from b'), binary: false })
  t.deepEqual(b.got[0], { topic: 't', data: Buffer.from([1, 2, 3]), binary: true })
  await a.adapter.close()
  await b.adapter.close()
  t.true(app.isReady, "the application's client is still connected")
  t.is(await app.ping(), 'PONG')
  await waitFor('subscriber links gone', async () => (await numsub(admin, `${channelPrefix}t`)) === 0)
})

test('sharded: SSUBSCRIBE/SPUBLISH carry the same messages (Redis 7 sharded pub/sub)', async (t) => {
  const { a, b, channelPrefix } = await pair(t, redis.url, { sharded: true })
  t.true(a.adapter.sharded)
  b.subscribe('s')
  await waitFor('b shard-subscribed', async () => (await numsub(admin, `${channelPrefix}s`, true)) === 1)
  t.is(await numsub(admin, `${channelPrefix}s`), 0, 'not a classic subscription')
  for (let i = 0; i < 100; i++) a.publish('s', `m${i}`)
  a.publish('s', Buffer.from([0, 255]))
  await waitFor('delivered', () => b.got.length === 101)
  t.deepEqual(b.got.slice(0, 100).map((d) => d.data.toString()), Array.from({ length: 100 }, (_, i) => `m${i}`))
  t.deepEqual(b.got[100], { topic: 's', data: Buffer.from([0, 255]), binary: true })
  b.unsubscribe('s')
  await waitFor('b shard-unsubscribed', async () => (await numsub(admin, `${channelPrefix}s`, true)) === 0)
})

test('Redis restarted: local side keeps going, lost publishes counted and reported, resubscribed after, no app action', async (t) => {
  t.timeout(60_000)
  const { own, ownAdmin } = await privateRedis(t)
  const { a, b, channelPrefix } = await pair(t, own.url)
  b.subscribe('r')
  await waitFor('b subscribed', async () => (await numsub(ownAdmin, `${channelPrefix}r`)) === 1)
  let seq = 0
  const publishSome = (n: number) => {
    for (let i = 0; i < n; i++) a.publish('r', `${seq++}`)
  }
  publishSome(100)
  await waitFor('first 100', () => b.got.length === 100)

  await own.stop()
  // a's publishing link must have noticed (its subscriber link may notice first): then a publish is lost at once.
  await waitFor('a\'s publisher sees Redis gone', () =>
    a.errors.some((e) => (e as RedisAdapterError).code === 'FERROSOCKET_REDIS_CONNECTION' && /publisher/.test(e.message)),
  )
  await waitFor('b sees Redis gone', () => b.errors.some((e) => (e as RedisAdapterError).code === 'FERROSOCKET_REDIS_CONNECTION'))
  publishSome(37)
  t.is(a.adapter.stats.lost, 37)
  const lostReports = () => a.errors.filter((e) => (e as RedisAdapterError).code === 'FERROSOCKET_REDIS_PUBLISH_LOST')
  t.is(lostReports().length, 1, 'one report at the first loss, not one per publish')
  t.is((lostReports()[0] as RedisAdapterError).lost, 1)
  t.true(lostReports()[0] instanceof RedisAdapterError)

  await own.start()
  await waitFor('b resubscribed by itself', async () => (await numsub(ownAdmin, `${channelPrefix}r`)) === 1, 20_000)
  await waitFor('a ready again', () => lostReports().length === 2, 20_000)
  t.is((lostReports()[1] as RedisAdapterError).lost, 37)
  t.regex(lostReports()[1]!.message, /37 publishes were lost/)
  publishSome(100)
  await waitFor('after the restart', () => b.got.length === 200)
  const got = b.got.map((d) => Number(d.data.toString()))
  t.deepEqual(got, [...Array.from({ length: 100 }, (_, i) => i), ...Array.from({ length: 100 }, (_, i) => 137 + i)])
  t.like(a.adapter.stats, { published: 200, lost: 37, pending: 0 })
  t.is(b.adapter.stats.received, 200)
})

test('CLIENT KILL TYPE pubsub: the subscriber link comes back subscribed and delivering', async (t) => {
  // Its own Redis: CLIENT KILL TYPE pubsub would cut every other test's subscribers too.
  const { own, ownAdmin: admin } = await privateRedis(t)
  const { a, b, channelPrefix } = await pair(t, own.url)
  b.subscribe('k1')
  b.subscribe('k2')
  await waitFor('b subscribed', async () => (await numsub(admin, `${channelPrefix}k2`)) === 1)
  a.publish('k1', 'before')
  await waitFor('before', () => b.got.length === 1)
  const killed = Number(await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']))
  t.true(killed >= 1)
  await waitFor('b reported the drop', () => b.errors.length > 0)
  await waitFor('resubscribed', async () =>
    (await numsub(admin, `${channelPrefix}k1`)) === 1 && (await numsub(admin, `${channelPrefix}k2`)) === 1,
  )
  a.publish('k1', 'after1')
  a.publish('k2', 'after2')
  await waitFor('after', () => b.got.length === 3)
  t.deepEqual(b.got.map((d) => d.data.toString()), ['before', 'after1', 'after2'])
})

test('subscribe and unsubscribe while Redis is away take effect when it is back', async (t) => {
  t.timeout(60_000)
  const { own, ownAdmin } = await privateRedis(t)
  const { a, b, channelPrefix } = await pair(t, own.url)
  b.subscribe('old')
  await waitFor('old subscribed', async () => (await numsub(ownAdmin, `${channelPrefix}old`)) === 1)
  await own.stop()
  await waitFor('b sees Redis gone', () => b.errors.length > 0)
  b.unsubscribe('old')
  b.subscribe('new')
  await own.start()
  await waitFor('new subscribed', async () => (await numsub(ownAdmin, `${channelPrefix}new`)) === 1, 20_000)
  await waitFor('old dropped', async () => (await numsub(ownAdmin, `${channelPrefix}old`)) === 0, 20_000)
  await waitFor('a publishes again', async () => {
    a.publish('new', 'hello')
    await new Promise((r) => setTimeout(r, 50))
    return b.got.length > 0
  }, 20_000)
  t.is(b.got[0]!.data.toString(), 'hello')
})

test('interest churn across a Redis outage: afterwards Redis holds exactly the process\'s local topics, and delivers them', async (t) => {
  t.timeout(90_000)
  const { own, ownAdmin } = await privateRedis(t)
  const { a, b, channelPrefix } = await pair(t, own.url)
  const topics = Array.from({ length: 40 }, (_, i) => `t${i}`)
  let seed = 7
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff)
  const churn = (n: number) => {
    for (let i = 0; i < n; i++) {
      const topic = topics[next() % topics.length]!
      if (b.counts.has(topic) && next() % 2 === 0) b.unsubscribe(topic)
      else b.subscribe(topic)
    }
  }
  const held = async () =>
    ((await ownAdmin.sendCommand(['PUBSUB', 'CHANNELS', `${channelPrefix}*`])) as string[])
      .map((c) => c.slice(channelPrefix.length))
      .sort()
  const local = () => [...b.counts.keys()].sort()
  const same = async () => JSON.stringify(await held()) === JSON.stringify(local())
  churn(300)
  await waitFor('interest settled before', same)
  // Churn all through the outage: while Redis stops, while it is down, while the links come back.
  let churning = true
  const loop = (async () => {
    while (churning) {
      churn(5)
      await new Promise((resolve) => setTimeout(resolve, 3))
    }
  })()
  await new Promise((resolve) => setTimeout(resolve, 100))
  await own.stop()
  await waitFor('b sees Redis gone', () => b.errors.length > 0)
  await new Promise((resolve) => setTimeout(resolve, 300))
  await own.start()
  await waitFor('b reconnected', () => b.adapter.connected, 20_000)
  await new Promise((resolve) => setTimeout(resolve, 300))
  churning = false
  await loop
  t.true(local().length > 0 && local().length < topics.length, `a mix of topics in and out: ${local().length}`)
  await waitFor('Redis interest equals local interest exactly', same, 20_000).catch(async (e: Error) => {
    throw new Error(`${e.message}: Redis ${JSON.stringify(await held())} local ${JSON.stringify(local())}`)
  })
  // And delivery follows it: one message per topic reaches b on exactly its local topics.
  await waitFor('a connected', () => a.adapter.connected, 20_000)
  for (const topic of topics) a.publish(topic, topic)
  b.subscribe('marker')
  await waitFor('marker subscribed', async () => (await numsub(ownAdmin, `${channelPrefix}marker`)) === 1)
  a.publish('marker', 'm')
  await waitFor('marker', () => b.of('marker').length === 1)
  t.deepEqual(b.got.filter((d) => d.topic !== 'marker').map((d) => d.topic).sort(), local().filter((x) => x !== 'marker'))
  t.is(b.adapter.stats.dropped, 0)
})

test('publish during close(): each publish is either carried and delivered once, in order, or counted lost; none left pending', async (t) => {
  const { a, b, channelPrefix } = await pair(t, redis.url)
  b.subscribe('z')
  await waitFor('b subscribed', async () => (await numsub(admin, `${channelPrefix}z`)) === 1)
  for (let i = 0; i < 500; i++) a.publish('z', `${i}`)
  const closing = a.adapter.close()
  for (let i = 500; i < 600; i++) a.publish('z', `${i}`)
  await closing
  a.publish('z', 'after')
  const s = a.adapter.stats
  t.is(s.pending, 0)
  t.is(s.published + s.lost, 601)
  t.true(s.lost >= 101, 'everything published after close() began is lost')
  t.false(a.adapter.connected)
  await waitFor('b got what was carried', () => b.got.length >= s.published)
  // A marker from a third adapter: anything still on its way to b has arrived once the marker has.
  const c = new TestHost(redisAdapter({ url: redis.url, channelPrefix }))
  t.teardown(() => c.adapter.close())
  await c.adapter.ready()
  c.publish('z', 'marker')
  await waitFor('marker', () => b.got.some((d) => d.data.toString() === 'marker'))
  t.deepEqual(b.got.slice(0, -1).map((d) => Number(d.data.toString())), Array.from({ length: s.published }, (_, i) => i))
  t.is(a.errors.filter((e) => (e as RedisAdapterError).code === 'FERROSOCKET_REDIS_PUBLISH_LOST').length, 0, 'no report after close')
})

const handles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length

test.serial('close() after traffic, and close() while Redis is down and the links are backing off, leave no socket or timer behind', async (t) => {
  t.timeout(60_000)
  const before = handles()
  const { own, ownAdmin } = await privateRedis(t)
  const channelPrefix = freshPrefix()
  const hosts = [0, 1, 2, 3].map(() => new TestHost(redisAdapter({ url: own.url, channelPrefix })))
  await Promise.all(hosts.map((h) => h.adapter.ready()))
  const [a, b, c, d] = hosts as [TestHost, TestHost, TestHost, TestHost]
  b.subscribe('h')
  d.subscribe('h')
  await waitFor('subscribed', async () => (await numsub(ownAdmin, `${channelPrefix}h`)) === 2)
  for (let i = 0; i < 100; i++) a.publish('h', Buffer.alloc(1000, i))
  await waitFor('delivered', () => b.got.length === 100)
  await a.adapter.close()
  await b.adapter.close()
  // c and d: Redis goes away, the links fail and back off; close() in the middle of that.
  await own.stop()
  await waitFor('c and d see Redis gone', () => c.errors.length > 0 && d.errors.length > 0)
  c.publish('h', 'lost')
  await Promise.all([c.adapter.close(), d.adapter.close()])
  await ownAdmin.close().catch(() => {})
  await own.dispose()
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.true(handles() <= before, process.getActiveResourcesInfo().join(', '))
})

test.serial('close() while this process was too busy to read past the grace: the answers that arrived meanwhile are read, not thrown away', async (t) => {
  const { a, b, channelPrefix } = await pair(t, redis.url)
  b.subscribe('g')
  await waitFor('b subscribed', async () => (await numsub(admin, `${channelPrefix}g`)) === 1)
  for (let i = 0; i < 200; i++) a.publish('g', `${i}`)
  // node-redis writes on setImmediate: after this the 200 PUBLISHes are on the wire.
  await new Promise((resolve) => setImmediate(resolve))
  const closing = a.adapter.close()
  // Busy for longer than close()'s 2 s grace: Redis answers meanwhile, the answers wait unread in the socket.
  const busyUntil = Date.now() + 2300
  while (Date.now() < busyUntil) {
    // a synchronous stretch of application work
  }
  await closing
  t.like(a.adapter.stats, { published: 200, lost: 0, pending: 0 }, 'Redis answered every publish; none is lost')
  await waitFor('b got all 200', () => b.got.length === 200)
})

test.serial('Redis never reachable: publishes are lost and reported, close() still finishes and leaves nothing', async (t) => {
  const before = process.getActiveResourcesInfo()
  const dead = `redis://127.0.0.1:${await (await import('./helpers/redis-server.js')).freePort()}`
  const host = new TestHost(redisAdapter({ url: dead }))
  host.subscribe('t')
  host.publish('t', 'x')
  t.is(host.adapter.stats.lost, 1)
  await waitFor('connection failure reported', () =>
    host.errors.some((e) => (e as RedisAdapterError).code === 'FERROSOCKET_REDIS_CONNECTION'),
  )
  await host.adapter.close()
  await t.throwsAsync(host.adapter.ready())
  host.publish('t', 'y')
  t.is(host.adapter.stats.lost, 2)
  await new Promise((r) => setTimeout(r, 100))
  // Serial test: nothing else runs meanwhile, so any socket or timer more than before is the adapter's.
  const count = (list: string[]) => list.filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length
  t.true(count(process.getActiveResourcesInfo()) <= count(before), process.getActiveResourcesInfo().join(', '))
})

test.serial('close(): every connection the adapter made is gone; the app client and process handles are untouched', async (t) => {
  const channelPrefix = freshPrefix()
  const countClients = async () =>
    String(await admin.sendCommand(['CLIENT', 'LIST'])).trim().split('\n').length
  const base = await countClients()
  const adapter = new RedisAdapter({ url: redis.url, channelPrefix })
  const host = new TestHost(adapter)
  await adapter.ready()
  host.subscribe('c')
  await waitFor('subscribed', async () => (await numsub(admin, `${channelPrefix}c`)) === 1)
  t.is(await countClients(), base + 2)
  for (let i = 0; i < 100; i++) host.publish('c', 'bye')
  await adapter.close()
  t.is(adapter.stats.pending, 0, 'close() let the pending publishes finish')
  t.is(adapter.stats.published, 100)
  await waitFor('both links closed', async () => (await countClients()) === base)
  await adapter.close()
})

test('a client typed as node-redis createClient() fits RedisClientLike (compile-time check)', (t) => {
  const c: RedisClientLike = createClient()
  t.is(typeof c.duplicate, 'function')
})

test('a Redis that stops answering: publishes beyond maxPendingBytes are counted lost, not queued; total reported after', async (t) => {
  t.timeout(60_000)
  const { own, ownAdmin } = await privateRedis(t)
  const channelPrefix = freshPrefix()
  const a = new TestHost(redisAdapter({ url: own.url, channelPrefix, maxPendingBytes: 4096 }))
  const b = new TestHost(redisAdapter({ url: own.url, channelPrefix }))
  t.teardown(async () => {
    await a.adapter.close()
    await b.adapter.close()
  })
  await Promise.all([a.adapter.ready(), b.adapter.ready()])
  b.subscribe('p')
  await waitFor('b subscribed', async () => (await numsub(ownAdmin, `${channelPrefix}p`)) === 1)
  // One message larger than the bound goes when nothing is pending.
  a.publish('p', Buffer.alloc(10_000, 7))
  await waitFor('big one delivered', () => b.got.length === 1)
  // PUBLISH is held by CLIENT PAUSE … WRITE: the connection stays up, Redis just does not answer.
  await ownAdmin.sendCommand(['CLIENT', 'PAUSE', '1500', 'WRITE'])
  for (let i = 0; i < 10; i++) a.publish('p', Buffer.alloc(1000 - HEADER_BYTES, i))
  t.like(a.adapter.stats, { pending: 4, lost: 6 })
  const lost = () => a.errors.filter((e) => (e as RedisAdapterError).code === 'FERROSOCKET_REDIS_PUBLISH_LOST')
  t.is(lost().length, 1)
  t.regex(lost()[0]!.message, /has not answered \d+ bytes of publishes \(maxPendingBytes 4096\)/)
  await waitFor('pause over, pending answered', () => a.adapter.stats.pending === 0, 20_000)
  await waitFor('total reported', () => lost().length === 2)
  t.is((lost()[1] as RedisAdapterError).lost, 6)
  await waitFor('the 4 pending delivered', () => b.got.length === 5)
  t.deepEqual(b.got.slice(1).map((d) => d.data[0]), [0, 1, 2, 3])
  t.like(a.adapter.stats, { published: 5, lost: 6, pending: 0 })
})

test.serial('close() right after attach (before any client exists): ready() rejects, no connection is ever made', async (t) => {
  const countClients = async () => String(await admin.sendCommand(['CLIENT', 'LIST'])).trim().split('\n').length
  const adapter = redisAdapter({ url: redis.url, channelPrefix: freshPrefix() })
  const host = new TestHost(adapter)
  const closing = adapter.close()
  await t.throwsAsync(adapter.ready(), { message: /closed before it was ready/ })
  await closing
  host.publish('t', 'x')
  t.is(adapter.stats.lost, 1)
  t.false(adapter.connected)
  // Serial: nothing else runs, so any new connection would be this adapter's.
  const n = await countClients()
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.true((await countClients()) <= n)
})

// ioredis (v5) as the application's client: the adapter shims it to the same shape.
async function ioredisClient(url: string) {
  const { Redis } = await import('ioredis')
  const client = new Redis(url, { retryStrategy: () => 100 })
  client.on('error', () => {})
  await new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())))
  return client
}

for (const sharded of [false, true]) {
  test(`ioredis client${sharded ? ' (sharded)' : ''}: crosses with a node-redis adapter both ways, byte-exact; close leaves the app client`, async (t) => {
    const app = await ioredisClient(redis.url)
    t.teardown(() => app.disconnect())
    const channelPrefix = freshPrefix()
    const a = new TestHost(redisAdapter({ client: app, channelPrefix, sharded }))
    const b = new TestHost(redisAdapter({ url: redis.url, channelPrefix, sharded }))
    t.teardown(() => b.adapter.close())
    await Promise.all([a.adapter.ready(), b.adapter.ready()])
    a.subscribe('io')
    b.subscribe('io')
    await waitFor('both subscribed', async () => (await numsub(admin, `${channelPrefix}io`, sharded)) === 2)
    const bin = randomBytes(70_000)
    a.publish('io', bin)
    a.publish('io', 'ünïcode from ioredis')
    b.publish('io', 'from node-redis')
    await waitFor('crossed', () => a.got.length === 1 && b.got.length === 2)
    t.deepEqual(b.got[0], { topic: 'io', data: bin, binary: true })
    t.deepEqual(b.got[1], { topic: 'io', data: Buffer.from('ünïcode from ioredis'), binary: false })
    t.deepEqual(a.got[0], { topic: 'io', data: Buffer.from('from node-redis'), binary: false })
    a.unsubscribe('io')
    await waitFor('a unsubscribed', async () => (await numsub(admin, `${channelPrefix}io`, sharded)) === 1)
    await a.adapter.close()
    t.is(app.status, 'ready', "the application's ioredis client stays connected")
    t.is(await app.ping(), 'PONG')
    await waitFor('a subscriber link gone', async () => (await numsub(admin, `${channelPrefix}io`, sharded)) === 1)
    t.like(a.adapter.stats, { published: 2, lost: 0, received: 1, dropped: 0 })
  })
}

test('ioredis client: Redis restarted — lost counted and reported, resubscribed, delivery resumes; CLIENT KILL too', async (t) => {
  t.timeout(60_000)
  const { own, ownAdmin } = await privateRedis(t)
  const pubApp = await ioredisClient(own.url)
  const subApp = await ioredisClient(own.url)
  t.teardown(() => {
    pubApp.disconnect()
    subApp.disconnect()
  })
  const channelPrefix = freshPrefix()
  const a = new TestHost(redisAdapter({ client: pubApp, channelPrefix }))
  const b = new TestHost(redisAdapter({ client: subApp, channelPrefix }))
  t.teardown(async () => {
    await a.adapter.close()
    await b.adapter.close()
  })
  await Promise.all([a.adapter.ready(), b.adapter.ready()])
  b.subscribe('r')
  await waitFor('b subscribed', async () => (await numsub(ownAdmin, `${channelPrefix}r`)) === 1)
  a.publish('r', 'before')
  await waitFor('before', () => b.got.length === 1)
  await own.stop()
  // `connected` turns false as soon as either link notices; the publishes below must come after the publishing link
  // (the application's client) has noticed too, or they are handed to it and fail later instead of counting at once.
  await waitFor('a sees Redis gone', () => !a.adapter.connected && pubApp.status !== 'ready')
  for (let i = 0; i < 5; i++) a.publish('r', `down ${i}`)
  t.is(a.adapter.stats.lost, 5)
  await own.start()
  await waitFor('b resubscribed', async () => (await numsub(ownAdmin, `${channelPrefix}r`)) === 1, 20_000)
  await waitFor('a connected', () => a.adapter.connected, 20_000)
  const lost = a.errors.filter((e) => (e as RedisAdapterError).code === 'FERROSOCKET_REDIS_PUBLISH_LOST')
  t.is((lost.at(-1) as RedisAdapterError).lost, 5)
  a.publish('r', 'after')
  await waitFor('after', () => b.got.length === 2)
  await ownAdmin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub'])
  await waitFor('resubscribed after kill', async () => (await numsub(ownAdmin, `${channelPrefix}r`)) === 1)
  await waitFor('delivering after kill', async () => {
    a.publish('r', 'after kill')
    await new Promise((resolve) => setTimeout(resolve, 50))
    return b.got.some((d) => d.data.toString() === 'after kill')
  })
  t.deepEqual(b.got.slice(0, 2).map((d) => d.data.toString()), ['before', 'after'])
})

test('an ioredis Redis fits IORedisLike (compile-time check)', async (t) => {
  const { Redis } = await import('ioredis')
  const c: IORedisLike = new Redis({ lazyConnect: true })
  t.is(typeof c.duplicate, 'function')
  c.disconnect()
})
