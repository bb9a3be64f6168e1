/**
 * Cluster benchmark (issue 15): `npm run bench:cluster [-- --rounds=N --duration=ms --warmup=ms --impls=a,b]`.
 * Cross-process delivery rate and latency of `server.publish` through ferrosocket/redis: 1, 2 and 4 server
 * processes on one redis-server (started here on a free 127.0.0.1 port, no persistence), 100 subscribers per
 * process, 1 KiB text messages published from node 0; the 1-process row is the same run without an adapter
 * (local delivery only). Against socket.io 4 + @socket.io/redis-adapter (node-redis clients) on the same Redis,
 * same shape (rooms instead of topics). The load generator (loadgen.ts) is one process of raw sockets. Rounds are
 * interleaved; each cell is the median over rounds. Writes benches/results/cluster.{json,md}.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from '../lib/args.js'
import { machineInfo } from '../lib/machine.js'
import { startRedis } from '../../__test__/helpers/redis-server.js'

const here = dirname(fileURLToPath(import.meta.url))
const resultsDir = join(here, '..', 'results')
const args = parseArgs()
const rounds = Number(args.get('rounds') ?? 3)
const warmupMs = Number(args.get('warmup') ?? 1000)
const durationMs = Number(args.get('duration') ?? 3000)
const window = Number(args.get('window') ?? 32)
/** The latency pass: one message in flight, so the latency is the path's, not the queue's. */
const latencyWindow = 1
const impls = (args.get('impls')?.split(',') ?? ['ferrosocket', 'socketio']) as ('ferrosocket' | 'socketio')[]
const counts = (args.get('nodes')?.split(',').map(Number) ?? [1, 2, 4]) as number[]
const SUBS = 100
const SIZE = 1024
const execArgv = ['--import', '@oxc-node/core/register']

interface Result {
  seconds: number
  published: number
  deliveries: number
  cross: number
  p50: number
  p99: number
  crossP50: number
  crossP99: number
}

function once<T>(child: ChildProcess, what: string, ms = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)
    child.once('message', (m) => {
      clearTimeout(timer)
      resolve(m as T)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what}: exited ${code}`))
    })
  })
}

async function cell(impl: 'ferrosocket' | 'socketio', nodes: number, redisUrl: string, window: number): Promise<Result> {
  const env = { ...process.env, BENCH_IMPL: impl, REDIS_URL: redisUrl, BENCH_SOLO: nodes === 1 ? '1' : '0' }
  // --prof=DIR: CPU profiles of the server processes (node --cpu-prof) into DIR.
  const prof = args.get('prof')
  const nodeArgv = prof ? [...execArgv, '--cpu-prof', `--cpu-prof-dir=${prof}`] : execArgv
  const children = Array.from({ length: nodes }, () => fork(join(here, 'node.ts'), [], { env, execArgv: nodeArgv }))
  try {
    const ports = (await Promise.all(children.map((c) => once<{ port: number }>(c, 'node start')))).map((m) => m.port)
    const job = { impl, ports, subs: SUBS, size: SIZE, window, warmupMs, durationMs }
    const gen = fork(join(here, 'loadgen.ts'), [JSON.stringify(job)], { execArgv })
    const r = await once<Result>(gen, 'loadgen', warmupMs + durationMs + 60_000)
    // NaN (no cross-process delivery on one process) crosses IPC as null.
    for (const k of Object.keys(r) as (keyof Result)[]) r[k] = typeof r[k] === 'number' ? r[k] : NaN
    return r
  } finally {
    for (const c of children) {
      if (c.connected) c.send({ op: 'close' })
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000)
      await new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))
      clearTimeout(timer)
    }
  }
}

const machine = machineInfo()
const redis = await startRedis()
const results = new Map<string, Result[]>()
const started = Date.now()
try {
  for (let round = 0; round < rounds; round++) {
    const order = impls.flatMap((impl) => counts.flatMap((n) => [[impl, n, window] as const, [impl, n, latencyWindow] as const]))
    // Rotate the order each round so no cell always runs first (or last) on a warming machine.
    for (let i = 0; i < order.length; i++) {
      const [impl, n, w] = order[(i + round) % order.length]!
      const r = await cell(impl, n, redis.url, w)
      const key = `${impl}/${n}/${w}`
      results.set(key, [...(results.get(key) ?? []), r])
      console.log(`round ${round + 1} ${key}: ${(r.deliveries / 1000).toFixed(1)}k deliveries/s ` +
        `(${(r.cross / 1000).toFixed(1)}k cross-process), p99 ${r.p99.toFixed(0)} µs, cross p99 ${r.crossP99.toFixed(0)} µs`)
    }
  }
} finally {
  await redis.dispose()
}
machine.loadavgEnd = (await import('node:os')).loadavg()

const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!
}
const fmtRate = (x: number) => (Number.isNaN(x) ? '–' : x >= 1e5 ? `${(x / 1000).toFixed(0)}k` : `${(x / 1000).toFixed(1)}k`)
const fmtUs = (x: number) => (Number.isNaN(x) ? '–' : x >= 10_000 ? `${(x / 1000).toFixed(1)} ms` : `${x.toFixed(0)} µs`)
const rows: string[] = []
const summary: Record<string, Record<string, number>> = {}
for (const impl of impls) {
  for (const n of counts) {
    const rs = results.get(`${impl}/${n}/${window}`) ?? []
    const ls = results.get(`${impl}/${n}/${latencyWindow}`) ?? []
    const m = {
      published: median(rs.map((r) => r.published)),
      deliveries: median(rs.map((r) => r.deliveries)),
      cross: median(rs.map((r) => r.cross)),
      p99: median(rs.map((r) => r.p99)),
      crossP99: median(rs.map((r) => r.crossP99)),
      idleP50: median(ls.map((r) => (n === 1 ? r.p50 : r.crossP50))),
      idleP99: median(ls.map((r) => (n === 1 ? r.p99 : r.crossP99))),
    }
    summary[`${impl}/${n}`] = m
    const name = impl === 'ferrosocket' ? 'ferrosocket + ferrosocket/redis' : 'socket.io 4 + @socket.io/redis-adapter'
    const range = rs.length > 1 ? ` (${fmtRate(Math.min(...rs.map((r) => r.cross)))}–${fmtRate(Math.max(...rs.map((r) => r.cross)))})` : ''
    rows.push(
      `| ${name} | ${n}${n === 1 ? ' (no adapter)' : ''} | ${fmtRate(m.published)} | ${fmtRate(m.deliveries)} | ` +
        `${n === 1 ? '–' : fmtRate(m.cross) + range} | ${fmtUs(m.p99)} | ${n === 1 ? '–' : fmtUs(m.crossP99)} | ` +
        `${fmtUs(m.idleP50)} | ${fmtUs(m.idleP99)} |`,
    )
  }
}
const md = [
  '# ferrosocket cluster benchmark (`npm run bench:cluster`)',
  '',
  `- date ${machine.date}, commit ${machine.commit}; ${machine.cpu}, ${machine.cores} cores; Node ${machine.node}; redis-server from Debian (7.0)`,
  `- ${rounds} interleaved round(s), ${warmupMs} ms warm-up + ${durationMs} ms measured per cell; ${Math.round((Date.now() - started) / 1000)} s in all`,
  `- load average at start ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')}, at end ${machine.loadavgEnd.map((x) => x.toFixed(2)).join(' ')} (a 2-core machine shared with other work: every process below competes for the same 2 cores)`,
  `- shape: N server processes + 1 redis-server + 1 load generator on 127.0.0.1; ${SUBS} subscriber connections per process; one publisher connection to process 0 sends ${SIZE} B text messages, each published to all subscribers of every process (server.publish / io.to(room).emit); throughput pass: at most ${window} messages ahead of the slowest process's first subscriber (flow control, so nothing is dropped by Redis' output-buffer limits), its p99 is mostly queueing; latency pass: one message in flight (${latencyWindow}), p50/p99 of the cross-process deliveries (1 process: local ones). Latency = publisher send → subscriber receipt, both in the load generator (one clock).`,
  '- "cross-process" = deliveries to subscribers of processes other than the publisher\'s (they went through Redis). Cells: median over rounds; the range after the cross-process rate is min–max over rounds.',
  '',
  '| implementation | processes | publishes/s | deliveries/s (all) | cross-process deliveries/s | p99 at that rate | cross-process p99 at that rate | latency p50, 1 in flight | latency p99, 1 in flight |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows,
  '',
].join('\n')
mkdirSync(resultsDir, { recursive: true })
writeFileSync(join(resultsDir, 'cluster.md'), md)
writeFileSync(join(resultsDir, 'cluster.json'), JSON.stringify({ machine, rounds, warmupMs, durationMs, window, summary, results: Object.fromEntries(results) }, null, 2))
console.log(md)
