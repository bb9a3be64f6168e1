/**
 * UTF-8 validation alone (issue 16), timed by CPU time so that a busy shared machine does not decide the result:
 * `node --import @oxc-node/core/register benches/utf8-cpu.ts [--rounds=N]` after `npm run build`.
 * Per size and text kind, ns per call of: Node's `buffer.isUtf8` (simdutf inside Node), the shipped codec's
 * `isValidUtf8` (validated seam; it calls `buffer.isUtf8` at every size, see ts/codec/index.ts), the addon's raw
 * `isValidUtf8` export (simdutf inside the addon, one N-API call) and the addon's `utf8Stream` (the same through
 * the streaming entry point). Rounds are interleaved (rotating order); each cell is the median over rounds of the
 * median of 5 batches. Writes benches/results/utf8-cpu.{json,md}.
 */
import { isUtf8 } from 'node:buffer'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { machineInfo } from './lib/machine.js'

const here = dirname(fileURLToPath(import.meta.url))
const dist = join(here, '..', 'dist')
const { codec, loadNativeAddon } = (await import(join(dist, 'codec', 'index.js'))) as typeof import('../ts/codec/index.js')
const addon = loadNativeAddon()
if (addon === null || codec.backend !== 'native') throw new Error('the native addon does not load: run `npm run build` first')
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 5)

const cpuNs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) * 1000
}
let sink = 0
function time(fn: () => boolean): number {
  let n = 1
  for (;;) {
    const t = cpuNs()
    for (let i = 0; i < n; i++) sink += fn() ? 1 : 0
    if (cpuNs() - t >= 5e6) break
    n *= 2
  }
  const runs: number[] = []
  for (let r = 0; r < 5; r++) {
    const t = cpuNs()
    for (let i = 0; i < n; i++) sink += fn() ? 1 : 0
    runs.push((cpuNs() - t) / n)
  }
  return runs.sort((a, b) => a - b)[2]!
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

const UNITS = { ascii: '{"user":"ana","event":"typing","room":42} ', mixed: 'echo héllo wörld Ωμέγα привет 漢字テキスト 😀🚀 ' }
const SIZES = [1024, 16384, 65536, 1 << 20, 16 << 20]
const NAMES = ['buffer.isUtf8', 'codec.isValidUtf8 (shipped)', 'addon isValidUtf8 (raw)', 'addon utf8Stream (raw)'] as const
interface Row {
  kind: string
  bytes: number
  ns: Record<(typeof NAMES)[number], number>
}
const rows: Row[] = []
for (const [kind, unit] of Object.entries(UNITS)) {
  for (const bytes of SIZES) {
    // Whole characters up to the size, then ASCII padding: valid UTF-8 of exactly `bytes` bytes.
    let s = unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)))
    let b = Buffer.from(s).subarray(0, bytes)
    s = b.toString().replace(/\uFFFD/g, '')
    b = Buffer.concat([Buffer.from(s), Buffer.alloc(bytes - Buffer.byteLength(s), 0x61)])
    const fns: Record<(typeof NAMES)[number], () => boolean> = {
      'buffer.isUtf8': () => isUtf8(b),
      'codec.isValidUtf8 (shipped)': () => codec.isValidUtf8(b),
      'addon isValidUtf8 (raw)': () => addon.isValidUtf8(b),
      'addon utf8Stream (raw)': () => addon.utf8Stream(0, b, true) === 0,
    }
    for (const name of NAMES) if (!fns[name]()) throw new Error(`${name}: ${kind} ${bytes} not valid`)
    const samples = Object.fromEntries(NAMES.map((n) => [n, [] as number[]])) as Record<(typeof NAMES)[number], number[]>
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < NAMES.length; i++) {
        const name = NAMES[(i + r) % NAMES.length]!
        samples[name].push(time(fns[name]))
      }
    }
    rows.push({ kind, bytes, ns: Object.fromEntries(NAMES.map((n) => [n, median(samples[n])])) as Row['ns'] })
  }
}

const machine = machineInfo()
const size = (n: number): string => (n >= 1 << 20 ? `${n >> 20} MiB` : `${n >> 10} KiB`)
const gbs = (bytes: number, ns: number): string => (bytes / ns).toFixed(1)
const md = [
  '# UTF-8 validation alone (CPU time)',
  '',
  `- ${new Date().toISOString()}, commit ${machine.commit}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load average ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')}`,
  `- CPU time per call (process.cpuUsage), median of ${ROUNDS} interleaved rounds of the median of 5 batches. GB/s, and × buffer.isUtf8.`,
  '',
  `| text | size | ${NAMES.join(' | ')} |`,
  `|---|---:|${NAMES.map(() => '---:').join('|')}|`,
  ...rows.map(
    (r) =>
      `| ${r.kind} | ${size(r.bytes)} | ${NAMES.map((n) => `${gbs(r.bytes, r.ns[n])} (${(r.ns['buffer.isUtf8'] / r.ns[n]).toFixed(2)}×)`).join(' | ')} |`,
  ),
  '',
].join('\n')
console.log(md)
writeFileSync(join(here, 'results', 'utf8-cpu.json'), JSON.stringify({ machine, rows }, null, 2) + '\n')
writeFileSync(join(here, 'results', 'utf8-cpu.md'), md)
if (sink === 0.5) console.log(sink)
