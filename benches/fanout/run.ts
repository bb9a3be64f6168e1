/**
 * Fan-out benchmark (issue 14): `npm run bench:fanout [-- --rounds=N] [--quick] [--cases=a,b] [--baseline=dir]`.
 * Each case starts its server (server.ts) pinned to CPU 0 and the Rust load generator (benches/fanout, built on
 * first use with cargo) pinned to CPU 1, so the server is what is measured; rounds are interleaved (every case
 * once per round, the order rotating) and each cell reports the median over rounds with the load average.
 * Writes `benches/results/fanout.{json,md}` (`--out=name`: `benches/results/<name>.{json,md}`).
 *
 * Workloads: `chat` — 32 clients each write 1,600 texts of 16 bytes in one burst, relayed to all 32 (1,638,400
 * deliveries per round); `broadcast` — 1,000 clients, one of them writes 200 texts of 1 KiB, each relayed to all
 * 1,000 (200,000 deliveries of 1 KiB); `deflate` — the same with permessage-deflate, 50 texts (50,000 deliveries), the
 * clients offering server_no_context_takeover (ferrosocket compresses once per message for all) or not (every
 * connection compresses with its own context, as ws always does).
 * `--baseline=<dir>`: a build of an earlier commit's ts/ (same depth as dist/) runs as `ferro-base`.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import os from 'node:os'
import { parseArgs } from '../lib/args.js'
import { transpileServer } from '../lib/transpile.js'
import { machineInfo } from '../lib/machine.js'

const here = dirname(fileURLToPath(import.meta.url))
const resultsDir = join(here, '..', 'results')
const args = parseArgs()
const quick = args.has('quick')
const rounds = Number(args.get('rounds') ?? (quick ? 1 : 3))
const baseline = args.get('baseline')
const outName = args.get('out') ?? 'fanout'

interface Case {
  id: string
  impl: 'ferro' | 'ws' | 'websocket'
  env: NodeJS.ProcessEnv
  app: 'loop' | 'publish' | 'broadcast'
  workload: 'chat' | 'broadcast' | 'deflate'
  label: string
  /** permessage-deflate on; the clients offer server_no_context_takeover ('nct') or not ('takeover'). */
  deflate?: 'nct' | 'takeover'
}
const WORKLOADS = {
  chat: { clients: 32, senders: 32, messages: quick ? 400 : 1600, size: 16 },
  broadcast: { clients: 1000, senders: 1, messages: quick ? 50 : 200, size: 1024 },
  deflate: { clients: 1000, senders: 1, messages: quick ? 10 : 50, size: 1024 },
}
const native = { FERROSOCKET_BACKEND: 'native' }
const twin = { FERROSOCKET_BACKEND: 'ts' }
const base = baseline === undefined ? null : { FERROSOCKET_BACKEND: 'native', FERRO_DIST: join(process.cwd(), baseline, 'index.js') }
const ALL: Case[] = [
  { id: 'chat-ws-loop', impl: 'ws', env: {}, app: 'loop', workload: 'chat', label: 'ws 8, loop of send' },
  { id: 'chat-websocket-loop', impl: 'websocket', env: {}, app: 'loop', workload: 'chat', label: 'websocket@1.0.35, loop of sendUTF' },
  { id: 'chat-native-loop', impl: 'ferro', env: native, app: 'loop', workload: 'chat', label: 'ferrosocket native, loop of sendUTF' },
  { id: 'chat-ts-loop', impl: 'ferro', env: twin, app: 'loop', workload: 'chat', label: 'ferrosocket TS twin, loop of sendUTF' },
  { id: 'chat-native-publish', impl: 'ferro', env: native, app: 'publish', workload: 'chat', label: 'ferrosocket native, subscribe + publish' },
  { id: 'chat-ts-publish', impl: 'ferro', env: twin, app: 'publish', workload: 'chat', label: 'ferrosocket TS twin, subscribe + publish' },
  { id: 'broadcast-ws', impl: 'ws', env: {}, app: 'broadcast', workload: 'broadcast', label: 'ws 8, loop of send' },
  { id: 'broadcast-websocket', impl: 'websocket', env: {}, app: 'broadcast', workload: 'broadcast', label: 'websocket@1.0.35, broadcastUTF' },
  { id: 'broadcast-native', impl: 'ferro', env: native, app: 'broadcast', workload: 'broadcast', label: 'ferrosocket native, broadcastUTF' },
  { id: 'broadcast-ts', impl: 'ferro', env: twin, app: 'broadcast', workload: 'broadcast', label: 'ferrosocket TS twin, broadcastUTF' },
  { id: 'deflate-ws-nct', impl: 'ws', env: {}, app: 'broadcast', workload: 'deflate', deflate: 'nct', label: 'ws 8, loop of send, server_no_context_takeover' },
  { id: 'deflate-native-nct', impl: 'ferro', env: native, app: 'broadcast', workload: 'deflate', deflate: 'nct', label: 'ferrosocket native, broadcastUTF, server_no_context_takeover (one compression per message)' },
  { id: 'deflate-ts-nct', impl: 'ferro', env: twin, app: 'broadcast', workload: 'deflate', deflate: 'nct', label: 'ferrosocket TS twin, broadcastUTF, server_no_context_takeover' },
  { id: 'deflate-ws-takeover', impl: 'ws', env: {}, app: 'broadcast', workload: 'deflate', deflate: 'takeover', label: 'ws 8, loop of send, context takeover' },
  { id: 'deflate-native-takeover', impl: 'ferro', env: native, app: 'broadcast', workload: 'deflate', deflate: 'takeover', label: 'ferrosocket native, broadcastUTF, context takeover (per connection)' },
  ...(base === null
    ? []
    : ([
        { id: 'chat-base-loop', impl: 'ferro', env: base, app: 'loop', workload: 'chat', label: `baseline ${baseline}, loop of sendUTF` },
        { id: 'broadcast-base', impl: 'ferro', env: base, app: 'broadcast', workload: 'broadcast', label: `baseline ${baseline}, broadcastUTF` },
      ] as Case[])),
]
const wanted = args.get('cases')?.split(',')
const cases = ALL.filter((c) => wanted === undefined || wanted.includes(c.id))

const loadgen = join(here, 'target', 'release', 'fanout-loadgen')
// Always: cargo rebuilds only when the load generator's source changed.
execFileSync('cargo', ['build', '--release', '--manifest-path', join(here, 'Cargo.toml')], { stdio: 'inherit' })
const serverJs = transpileServer(here)
const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'])
    return true
  } catch {
    return false
  }
})()

interface Round {
  msgPerSec: number
  p50Us: number
  p99Us: number
  seconds: number
  load1: number
}

async function runCase(c: Case): Promise<Round> {
  const server: ChildProcess = fork(serverJs, [c.impl, c.app, ...(c.deflate ? ['deflate'] : [])], {
    env: { ...process.env, ...c.env },
    execPath: hasTaskset ? 'taskset' : process.execPath,
    execArgv: hasTaskset ? ['-c', '0', process.execPath] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once('message', (m: { port: number }) => resolve(m.port))
      server.once('exit', (code) => reject(new Error(`server ${c.id} exited (${code})`)))
    })
    const w = WORKLOADS[c.workload]
    const argv = [String(port), String(w.clients), String(w.senders), String(w.messages), String(w.size), '2', c.deflate ?? '']
    const child = hasTaskset ? spawn('taskset', ['-c', '1', loadgen, ...argv]) : spawn(loadgen, argv)
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => process.stderr.write(d))
    const code = await new Promise<number | null>((r) => child.once('exit', r))
    if (code !== 0) throw new Error(`load generator failed for ${c.id} (${code})`)
    // Two rounds per server start: the first warms the JIT up, the second is measured.
    const last = JSON.parse(out.trim().split('\n').at(-1)!) as Round
    return { ...last, load1: os.loadavg()[0]! }
  } finally {
    server.kill()
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const machine = machineInfo()
const results = new Map<string, Round[]>(cases.map((c) => [c.id, []]))
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < cases.length; i++) {
    const c = cases[(i + r) % cases.length]!
    const res = await runCase(c)
    results.get(c.id)!.push(res)
    console.log(`round ${r + 1}/${rounds} ${c.id}: ${(res.msgPerSec / 1e6).toFixed(2)}M msg/s p50 ${res.p50Us} µs p99 ${res.p99Us} µs (load ${res.load1.toFixed(1)})`)
  }
}
machine.loadavgEnd = os.loadavg()

const fmt = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${(v / 1e3).toFixed(0)}k`)
const rows = cases.map((c) => {
  const rs = results.get(c.id)!
  return {
    ...c,
    msgPerSec: median(rs.map((x) => x.msgPerSec)),
    p99Us: median(rs.map((x) => x.p99Us)),
    rounds: rs,
  }
})
const wsOf = (r: Case): number =>
  rows.find((x) => x.workload === r.workload && x.deflate === r.deflate && x.impl === 'ws')?.msgPerSec ?? NaN
const lines = [
  '# Fan-out benchmark (issue 14)',
  '',
  `${machine.date}, commit ${machine.commit}, ${machine.cpu} (${machine.cores} cores), Node ${machine.node}; load average ` +
    `${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${machine.loadavgEnd.map((x) => x.toFixed(2)).join(' ')} at the end. ` +
    `Server pinned to CPU 0, Rust load generator (benches/fanout) to CPU 1${hasTaskset ? '' : ' (taskset missing: NOT pinned)'}; ` +
    `median of ${rounds} interleaved rounds, each the second of two bursts on a fresh server.`,
  '',
  '| workload | server | delivered msg/s | × ws | p99 delivery latency |',
  '|---|---|---:|---:|---:|',
  ...rows.map(
    (x) =>
      `| ${x.workload === 'chat' ? 'chat 32 × 1,600 → 32' : x.workload === 'deflate' ? 'deflate: broadcast 1 KiB → 1,000' : 'broadcast 1 KiB → 1,000'} | ${x.label} | ${fmt(x.msgPerSec)} | ` +
      `${(x.msgPerSec / wsOf(x)).toFixed(1)}× | ${(x.p99Us / 1000).toFixed(1)} ms |`,
  ),
  '',
  'p99 delivery latency: from the start of the burst to a message’s arrival (every 16th message sampled); in a burst',
  'it is mostly queueing, so it is close to the time the server needs for the whole burst.',
  '',
]
if (!quick) {
  writeFileSync(join(resultsDir, `${outName}.json`), JSON.stringify({ machine, workloads: WORKLOADS, rows }, null, 2) + '\n')
  writeFileSync(join(resultsDir, `${outName}.md`), lines.join('\n'))
}
console.log(lines.join('\n'))
