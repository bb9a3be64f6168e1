// `server.publish` across processes, end to end: real ferrosocket servers in child processes (fixtures/cluster-node.ts),
// each with ferrosocket/redis on one real redis-server (started here, 127.0.0.1, no persistence), and real WebSocket
// clients. Fan-out, interest churn, Redis restarted under load, CLIENT KILL of the subscriber links, malformed
// messages. The multi-host version (network namespaces) is redis-netns.spec.ts. Serial: each test runs up to 3
// server processes and 60 clients, one cluster at a time is what a 2-core machine carries.
import test, { type ExecutionContext } from 'ava'
import { Client, fanOutAndCheck, parse, payload, startNode, until, type ClusterNode } from './helpers/cluster.js'
import { adminClient, numsub, type Admin } from './helpers/redis-host.js'
import { startRedis, type RedisServer } from './helpers/redis-server.js'
import { HEADER_BYTES, encodeEnvelope, newOrigin } from '../ts/redis/envelope.js'

let prefixes = 0
const freshPrefix = () => `c${process.pid}-${++prefixes}:`

interface Cluster {
  redis: RedisServer
  admin: Admin
  nodes: ClusterNode[]
  clients: Client[][]
  prefix: string
}

/** A redis-server of its own, `n` nodes with `perNode` clients each; all torn down (and checked to exit) after. */
async function cluster(t: ExecutionContext, n: number, perNode: number, sharded = false): Promise<Cluster> {
  const redis = await startRedis()
  const nodes: ClusterNode[] = []
  const clients: Client[][] = []
  let admin: Admin | null = null
  // One teardown, in order: clients, then nodes (close() fails if a node does not exit by itself: a socket or
  // timer left open), then Redis.
  t.teardown(async () => {
    try {
      await Promise.all(clients.flat().map((c) => c.close()))
      await Promise.all(nodes.map((node) => node.close()))
    } finally {
      await admin?.close().catch(() => {})
      await redis.dispose()
    }
  })
  admin = await adminClient(redis.url)
  const prefix = freshPrefix()
  for (let i = 0; i < n; i++) nodes.push(await startNode({ redisUrl: redis.url, prefix, sharded }))
  for (const node of nodes) {
    clients.push(await Promise.all(Array.from({ length: perNode }, () => Client.connect(node.host, node.port))))
  }
  return { redis, admin, nodes, clients, prefix }
}

async function fanOut(t: ExecutionContext, n: number, perNode: number, messages: number, sharded: boolean) {
  t.timeout(900_000)
  const { admin, nodes, clients, prefix } = await cluster(t, n, perNode, sharded)
  await Promise.all(clients.flat().map((c) => c.sub('room')))
  await until('every node subscribed in Redis', async () => (await numsub(admin, `${prefix}room`, sharded)) === n)
  await fanOutAndCheck(t, clients, messages)
  for (const s of await Promise.all(nodes.map((node) => node.stats()))) {
    t.like(s.stats, { published: perNode * messages, lost: 0, dropped: 0, received: (n - 1) * perNode * messages })
    t.deepEqual(s.errors, [])
  }
}

test.serial('3 processes × 20 clients × 200 messages: every client gets all 12,000, per-publisher order, byte-exact', (t) =>
  fanOut(t, 3, 20, 200, false))

test.serial('sharded pub/sub: 2 processes × 5 clients × 100 messages, same guarantees', (t) => fanOut(t, 2, 5, 100, true))

test.serial('messages of several MiB up to 16 MiB (the servers\' maxReceivedMessageSize and the default maxMessageBytes) cross processes byte-exact', async (t) => {
  t.timeout(120_000)
  const { admin, nodes, clients, prefix } = await cluster(t, 2, 2)
  await Promise.all(clients.flat().map((c) => c.sub('room')))
  await until('every node subscribed', async () => (await numsub(admin, `${prefix}room`)) === 2)
  const limit = 16 << 20
  const bin = Buffer.alloc(limit)
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 131 + (i >>> 11)) & 0xff
  const text = Buffer.from('😀'.repeat(limit / 4 - 1) + 'éxx')
  t.is(text.length, limit)
  const sent: { data: Buffer; binary: boolean }[] = []
  for (const [data, binary] of [[bin.subarray(0, (3 << 20) + 5), true], [bin, true], [text, false]] as const) {
    // One at a time from node 0's first client (a burst of 16 MiB messages would pass Redis' pubsub output limit).
    sent.push({ data, binary })
    clients[0]![0]!.send(data, binary)
    await until(`message of ${data.length} bytes at every client`, () => clients.flat().every((c) => c.received.length === sent.length), 60_000)
  }
  for (const c of clients.flat()) {
    c.received.forEach((m, i) => {
      t.is(m.binary, sent[i]!.binary)
      t.true(m.data.equals(sent[i]!.data), `message ${i} (${sent[i]!.data.length} bytes) byte-exact`)
    })
  }
  const [s0, s1] = await Promise.all(nodes.map((n) => n.stats()))
  t.like(s0!.stats, { published: 3, lost: 0 })
  t.like(s1!.stats, { received: 3, dropped: 0 })
  t.deepEqual([...s0!.errors, ...s1!.errors], [])
})

test.serial('interest churn while publishing: messages reach only current subscribers; Redis interest follows', async (t) => {
  t.timeout(120_000)
  const { admin, nodes, clients, prefix } = await cluster(t, 3, 4)
  const channel = `${prefix}room`
  const [publishers, ...rest] = clients as [Client[], Client[], Client[]]
  const churners = rest.flat()
  // A churner is 'in' between the ack of its sub and the ack of its unsub (Client.topics). The server acks right
  // after it (un)subscribed, in the same turn, so a message after an unsub ack went to a non-subscriber.
  let violations = 0
  let delivered = 0
  for (const c of churners) {
    c.onData = () => {
      delivered++
      if (!c.topics.has('room')) violations++
    }
  }
  let seq = 0
  let publishing = true
  const pump = (async () => {
    while (publishing) {
      for (const [i, p] of publishers.entries()) p.send(payload(0, i, seq).data, payload(0, i, seq).binary)
      seq++
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })()
  const churn = async (c: Client, rounds: number) => {
    for (let r = 0; r < rounds; r++) {
      await c.sub('room')
      await new Promise((resolve) => setTimeout(resolve, 5 + ((r * 7) % 40)))
      // Until the unsub ack arrives the client may still get messages; after it, none.
      await c.unsub('room')
      await new Promise((resolve) => setTimeout(resolve, (r * 11) % 30))
    }
  }
  await Promise.all(churners.map((c, i) => churn(c, 20 + (i % 3))))
  // Everyone on nodes 1 and 2 is out now: neither node is subscribed in Redis.
  await until('nodes 1 and 2 unsubscribed in Redis', async () => (await numsub(admin, channel)) === 0)
  await Promise.all(rest[1]!.map((c) => c.sub('room')))
  await until('node 2 subscribed again', async () => (await numsub(admin, channel)) === 1)
  publishing = false
  await pump
  t.is(violations, 0, 'no message reached a client after its unsubscribe was acknowledged')
  t.true(delivered > 0, 'subscribers did get messages while subscribed')
  // Liveness after the churn: a last round from every publisher reaches every current subscriber.
  const before = rest[1]!.map((c) => c.received.length)
  for (const [i, p] of publishers.entries()) p.send(payload(0, i, 999_999).data, payload(0, i, 999_999).binary)
  await until('last round at node 2', () => rest[1]!.every((c, i) => c.received.length >= before[i]! + publishers.length))
  const stats = await Promise.all(nodes.map((n) => n.stats()))
  for (const s of stats) t.like(s.stats, { lost: 0, dropped: 0 })
})

/**
 * Redis restarted under load. Every client sends one message every 10 ms; for each origin node the test then
 * classifies every message by whether it reached at least one client of another node ("unreached" if none).
 *
 * What can be asserted exactly depends on one race the adapter cannot see: after the restart, a publisher may be back
 * before another process's subscriber is. Redis accepts its messages (so they are not `lost`) and delivers them to
 * nobody; Redis only tells the publisher how many subscribers it reached, not which ones were expected. So:
 * - `gate` false (the natural restart): `lost` lies between the publishes made while the test held Redis down and
 *   the unreached ones; the difference is exactly that race (docs/cluster.md, "What is not counted").
 * - `gate` true: the restarted Redis refuses PUBLISH (ACL) until every node has resubscribed, then allows it. The
 *   refused publishes are lost like the ones made while Redis was down, so the race cannot happen and the count is
 *   exact: lost === unreached for every node.
 */
async function restartUnderLoad(t: ExecutionContext, gate: boolean) {
  t.timeout(180_000)
  const { redis, admin, nodes, clients, prefix } = await cluster(t, 3, 4)
  const pids = nodes.map((n) => n.child.pid)
  await Promise.all(clients.flat().map((c) => c.sub('room')))
  await until('all subscribed', async () => (await numsub(admin, `${prefix}room`)) === 3)
  // The windows below are fixed by events, not by clocks (a loaded machine delays everything): `seen[node][i]` is
  // the last seq that client i of `node` received from each publisher ("origin:client"); per-publisher order makes
  // it cover every earlier seq.
  const seen = clients.map((row) => row.map(() => new Map<string, number>()))
  clients.forEach((row, node) =>
    row.forEach((c, i) => {
      c.onData = (data) => {
        const m = /^(\d+):(\d+):(\d+):/.exec(data.subarray(0, 32).toString('latin1'))
        if (m !== null) seen[node]![i]!.set(`${m[1]}:${m[2]}`, Number(m[3]))
      }
    }),
  )
  const has = (node: number, i: number, origin: number, client: number, seq: number) =>
    (seen[node]![i]!.get(`${origin}:${client}`) ?? -1) >= seq
  // Every client sends one message every 10 ms; sent[node][client] = how many so far (seq 0 … sent-1).
  const sent = clients.map((row) => row.map(() => 0))
  const snapshot = () => sent.map((row) => [...row])
  let sending = true
  const pump = (async () => {
    for (let seq = 0; sending; seq++) {
      clients.forEach((row, node) =>
        row.forEach((c, i) => {
          c.send(payload(node, i, seq).data, payload(node, i, seq).binary)
          sent[node]![i] = seq + 1
        }),
      )
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })()
  const everywhere = (upTo: number[][], nodesToCheck: (origin: number) => number[]) =>
    upTo.every((row, origin) =>
      row.every((n, client) => n === 0 || nodesToCheck(origin).every((node) => clients[node]!.every((_, i) => has(node, i, origin, client, n - 1)))),
    )
  const all = () => [0, 1, 2]
  const self = (origin: number) => [origin]
  await new Promise((resolve) => setTimeout(resolve, 500))
  // "Before": everything sent up to here reaches every client of every node before Redis is stopped.
  const before = snapshot()
  await until('everything sent before the outage delivered everywhere', () => everywhere(before, all), 60_000)
  await redis.stop()
  // "Down": sent after Redis exited, and handled by its node (delivered locally) before Redis starts again.
  const downFrom = snapshot()
  await new Promise((resolve) => setTimeout(resolve, 2500))
  const downTo = snapshot()
  await until('every node handled what was sent while Redis was down', () => everywhere(downTo, self), 60_000)
  await redis.start(gate ? ['--user', 'default', 'on', 'nopass', '~*', '&*', '+@all', '-publish', '-spublish'] : [])
  await until('every node reconnected by itself', async () => (await Promise.all(nodes.map((n) => n.stats()))).every((s) => s.connected), 20_000)
  await until('every node resubscribed', async () => (await numsub(admin, `${prefix}room`)) === 3, 20_000)
  if (gate) {
    // Let the nodes publish a while against the refusing Redis, then open it.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await admin.sendCommand(['ACL', 'SETUSER', 'default', '+publish', '+spublish'])
  }
  // "After": sent from here on; every one of them must arrive everywhere.
  const after = snapshot()
  await new Promise((resolve) => setTimeout(resolve, 500))
  sending = false
  await pump
  const last = snapshot()
  await until('nothing lost after the reconnect: every last message delivered everywhere', () => everywhere(last, all), 60_000)
  t.deepEqual(nodes.map((n) => n.child.pid), pids, 'no process was restarted')
  const stats = await Promise.all(nodes.map((n) => n.stats()))
  // For each origin node: which of its messages reached at least one client of another node (checked byte-exact).
  for (let origin = 0; origin < 3; origin++) {
    const reachedRemote = new Set<string>()
    clients.forEach((row, node) => {
      if (node === origin) return
      for (const c of row) {
        for (const m of c.received) {
          const p = parse(m.data, m.binary)
          if (p.node === origin) reachedRemote.add(`${p.client}:${p.seq}`)
        }
      }
    })
    let beforeMissing = 0
    let down = 0
    let afterCount = 0
    let afterMissing = 0
    let unreached = 0
    last[origin]!.forEach((n, client) => {
      for (let seq = 0; seq < n; seq++) {
        const got = reachedRemote.has(`${client}:${seq}`)
        if (!got) unreached++
        if (seq < before[origin]![client]! && !got) beforeMissing++
        if (seq >= downFrom[origin]![client]! && seq < downTo[origin]![client]!) down++
        if (seq >= after[origin]![client]!) {
          afterCount++
          if (!got) afterMissing++
        }
      }
    })
    const { lost } = stats[origin]!.stats
    t.log(`node ${origin}: sent ${last[origin]!.reduce((a, b) => a + b, 0)}, ${down} while down, lost ${lost}, unreached ${unreached}, ${afterCount} after`)
    t.is(beforeMissing, 0, `node ${origin}: everything published before the outage arrived`)
    t.is(afterMissing, 0, `node ${origin}: nothing lost after the reconnect`)
    t.true(down > 0 && lost >= down, `node ${origin}: every publish made while Redis was down is counted lost`)
    if (gate) t.is(lost, unreached, `node ${origin}: lost counts exactly the messages that reached no other node`)
    else t.true(lost <= unreached, `node ${origin}: no publish counted lost was delivered`)
    // The reports: one at the first loss, then the outage's total once Redis was reachable again.
    const totals = stats[origin]!.errors.filter((e) => e.code === 'FERROSOCKET_REDIS_PUBLISH_LOST' && /reachable again/.test(e.message))
    t.is(totals.reduce((a, e) => a + e.lost, 0), lost)
    t.true(stats[origin]!.errors.some((e) => e.code === 'FERROSOCKET_REDIS_CONNECTION'))
  }
}

test.serial('Redis restarted under load: local delivery never stops, lost counts every publish made while it was down and none that arrived, nothing lost after', (t) =>
  restartUnderLoad(t, false))

test.serial('Redis restarted under load, publishing refused until every node resubscribed: lost equals exactly the messages that reached no other node', (t) =>
  restartUnderLoad(t, true))

test.serial('CLIENT KILL TYPE pubsub: every node resubscribes by itself and delivers again', async (t) => {
  t.timeout(60_000)
  const { admin, nodes, clients, prefix } = await cluster(t, 2, 2)
  await Promise.all(clients.flat().map((c) => c.sub('room')))
  await until('subscribed', async () => (await numsub(admin, `${prefix}room`)) === 2)
  const killed = Number(await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']))
  t.is(killed, 2)
  await until('resubscribed', async () => (await numsub(admin, `${prefix}room`)) === 2)
  clients[0]![0]!.send(payload(0, 0, 1).data, true)
  clients[1]![1]!.send(payload(1, 1, 2).data, false)
  await until('delivered again', () => clients.flat().every((c) => c.received.length === 2))
  for (const s of await Promise.all(nodes.map((n) => n.stats()))) {
    t.true(s.errors.some((e) => e.code === 'FERROSOCKET_REDIS_CONNECTION' && /subscriber/.test(e.message)))
    t.true(s.connected)
  }
})

test.serial('malformed messages on our channel are dropped, never reach clients as garbage, nothing crashes', async (t) => {
  const { admin, nodes, clients, prefix } = await cluster(t, 2, 2)
  await Promise.all(clients.flat().map((c) => c.sub('room')))
  await until('subscribed', async () => (await numsub(admin, `${prefix}room`)) === 2)
  const good = encodeEnvelope(newOrigin(), Buffer.byteLength(prefix), payload(9, 0, 0).data, false)
  const badVersion = Buffer.from(good)
  badVersion[0] = 0xff
  const badUtf8 = encodeEnvelope(newOrigin(), Buffer.byteLength(prefix), Buffer.from('9:0:1:\xff\xfe', 'latin1'), false)
  const garbage = [Buffer.from('{"json":"from someone else"}'), Buffer.alloc(HEADER_BYTES - 1, 1), badVersion, badUtf8]
  for (const raw of garbage) await admin.publish(`${prefix}room`, raw)
  await admin.publish(`${prefix}room`, good)
  await until('the good one arrived', () => clients.flat().every((c) => c.received.length === 1))
  for (const c of clients.flat()) t.deepEqual(parse(c.received[0]!.data, c.received[0]!.binary), { node: 9, client: 0, seq: 0 })
  for (const s of await Promise.all(nodes.map((n) => n.stats()))) t.like(s.stats, { dropped: 4, received: 1 })
  // Still serving: a normal publish goes through.
  clients[0]![0]!.send(payload(0, 0, 3).data, true)
  await until('normal traffic', () => clients.flat().every((c) => c.received.length === 2))
})
