/**
 * Local interest (SUBSCRIBE per topic) vs one pattern per prefix (PSUBSCRIBE prefix*): what the choice costs Redis
 * and each process. `node --import @oxc-node/core/register benches/cluster/subscription.ts`
 * 4 "processes" (subscriber connections), 1,000 topics, each process interested in its own quarter of them; one
 * publisher sends 200,000 1 KiB messages round-robin over the topics (pipelined, 256 in flight). Measured: publishes
 * per second Redis sustains, messages and bytes each process receives, Redis CPU (INFO used_cpu_*) per publish.
 * Writes benches/results/cluster-subscription.{json,md}.
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from 'redis'
import { machineInfo } from '../lib/machine.js'
import { startRedis } from '../../__test__/helpers/redis-server.js'

const here = dirname(fileURLToPath(import.meta.url))
const PROCS = 4
const TOPICS = 1000
const MESSAGES = Number(process.argv[2] ?? 200_000)
const IN_FLIGHT = 256
const payload = Buffer.alloc(1024, 0x61)

type Mode = 'interest' | 'pattern'
interface Row {
  mode: Mode
  publishesPerSec: number
  receivedPerProcess: number
  mbPerProcess: number
  redisCpuUsPerPublish: number
}

async function run(url: string, mode: Mode): Promise<Row> {
  const prefix = `sub-bench-${mode}:`
  const pub = createClient({ url })
  await pub.connect()
  const subs = Array.from({ length: PROCS }, () => pub.duplicate())
  await Promise.all(subs.map((s) => s.connect()))
  const received = new Array<number>(PROCS).fill(0)
  const bytes = new Array<number>(PROCS).fill(0)
  for (const [p, s] of subs.entries()) {
    const on = (m: Buffer) => {
      received[p]!++
      bytes[p]! += m.length
    }
    if (mode === 'pattern') await s.pSubscribe(`${prefix}*`, on, true)
    else for (let t = p; t < TOPICS; t += PROCS) await s.subscribe(`${prefix}${t}`, on, true)
  }
  const cpu = async () => {
    const info = await pub.info('cpu')
    const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)![1])
    return get('used_cpu_sys') + get('used_cpu_user')
  }
  const cpu0 = await cpu()
  const t0 = process.hrtime.bigint()
  let sent = 0
  const inflight = new Set<Promise<unknown>>()
  while (sent < MESSAGES) {
    const p = pub.publish(`${prefix}${sent % TOPICS}`, payload)
    sent++
    inflight.add(p)
    void p.finally(() => inflight.delete(p))
    if (inflight.size >= IN_FLIGHT) await Promise.race(inflight)
  }
  await Promise.all(inflight)
  // Everything published reached every interested process (interest: 1/4 each; pattern: all of it, each).
  const want = mode === 'pattern' ? MESSAGES : MESSAGES / PROCS
  const deadline = Date.now() + 60_000
  while (received.some((r) => r < want) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu1 = await cpu()
  await Promise.all([...subs, pub].map((c) => c.close()))
  return {
    mode,
    publishesPerSec: MESSAGES / seconds,
    receivedPerProcess: received.reduce((a, b) => a + b, 0) / PROCS,
    mbPerProcess: bytes.reduce((a, b) => a + b, 0) / PROCS / 1e6,
    redisCpuUsPerPublish: ((cpu1 - cpu0) * 1e6) / MESSAGES,
  }
}

const machine = machineInfo()
const redis = await startRedis()
const rows: Row[] = []
try {
  for (let round = 0; round < 3; round++) {
    for (const mode of (round % 2 === 0 ? ['interest', 'pattern'] : ['pattern', 'interest']) as Mode[]) {
      const r = await run(redis.url, mode)
      rows.push(r)
      console.log(round + 1, JSON.stringify(r))
    }
  }
} finally {
  await redis.dispose()
}
machine.loadavgEnd = (await import('node:os')).loadavg()
const med = (mode: Mode, k: keyof Row) => {
  const xs = rows.filter((r) => r.mode === mode).map((r) => r[k] as number).sort((a, b) => a - b)
  return xs[Math.floor(xs.length / 2)]!
}
const md = [
  '# Subscription mode: local interest vs one pattern per prefix',
  '',
  `- date ${machine.date}, commit ${machine.commit}; ${machine.cpu}, ${machine.cores} cores; Node ${machine.node}; redis-server 7.0 (Debian)`,
  `- load average at start ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')}, at end ${machine.loadavgEnd.map((x) => x.toFixed(2)).join(' ')}`,
  `- ${PROCS} subscriber connections (one per process), ${TOPICS} topics, each process interested in its own quarter; ${MESSAGES.toLocaleString('en')} × 1 KiB publishes round-robin over the topics, ${IN_FLIGHT} in flight; median of 3 interleaved rounds`,
  '',
  '| mode | publishes/s | messages received per process | MB received per process | Redis CPU per publish |',
  '|---|---:|---:|---:|---:|',
  ...(['interest', 'pattern'] as Mode[]).map(
    (m) =>
      `| ${m === 'interest' ? 'local interest (SUBSCRIBE per topic)' : 'pattern (PSUBSCRIBE prefix*)'} | ${Math.round(med(m, 'publishesPerSec')).toLocaleString('en')} | ` +
      `${Math.round(med(m, 'receivedPerProcess')).toLocaleString('en')} | ${med(m, 'mbPerProcess').toFixed(0)} | ${med(m, 'redisCpuUsPerPublish').toFixed(1)} µs |`,
  ),
  '',
].join('\n')
writeFileSync(join(here, '..', 'results', 'cluster-subscription.md'), md)
writeFileSync(join(here, '..', 'results', 'cluster-subscription.json'), JSON.stringify({ machine, rows }, null, 2))
console.log(md)
