/**
 * Text message strings (issue 7): `npm run bench:text [-- --quick]`. The WebSocket-Node API hands text messages
 * out as strings (`utf8Data`) and takes strings to send, so every text message costs a UTF-8 decode and most
 * sends an encode. This measures, per string and in ns:
 *   decode — `Buffer#toString('utf8')` (Node's decoder, no validation) vs `codec.decodeText` of the native backend
 *            (issue 16: simdutf validates while it transcodes, then one N-API string creation — what `_deliver`
 *            runs for a text message in one frame, which the parser no longer validates), and, with
 *            `--baseline=path/to/older.node`, the raw `decodeUtf8` export of an older addon (the same call before
 *            issue 16: a separate validation, then encoding_rs);
 *   encode — `Buffer.from(text, 'utf8')` vs ferrosocket's `utf8Bytes` (a Buffer of its own, as `sendUTF` needs
 *            for texts it does not copy into a frame: byteLength + latin1/utf8 write below 2 Ki units, above that
 *            `TextEncoder#encodeInto` into a shared scratch and one copy).
 * Texts: ASCII JSON, Latin-1-only (French/German without symbols above U+00FF), and mixed scripts (Greek,
 * Cyrillic, CJK, emoji). Runs from `dist/` (build first: the npm script does). Writes benches/results/text.{json,md}.
 * Options: `--rounds=N` (interleaved rounds per cell, default 3), `--cpu` (CPU time instead of wall clock).
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { machineInfo } from './lib/machine.js'

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const dist = join(here, '..', 'dist')
const { loadNativeCodec, tsCodec } = (await import(join(dist, 'codec', 'index.js'))) as typeof import('../ts/codec/index.js')
const { utf8Bytes } = (await import(join(dist, 'connection', 'text.js'))) as typeof import('../ts/connection/text.js')

const native = loadNativeCodec()
if (native === null) throw new Error('the native addon does not load: run `npm run build:native` first')
const baselineArg = process.argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length)
const baseline =
  baselineArg === undefined
    ? null
    : (createRequire(import.meta.url)(resolve(baselineArg)) as { decodeUtf8(b: Uint8Array): string | undefined })
/** Rounds per cell: every implementation once per round, in rotating order (other work shares the CPUs). */
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? (quick ? 1 : 3))

const UNITS: Record<string, string> = {
  ascii: '{"user":"ana","event":"typing","room":42} ',
  latin1: 'héllo wörld, où ça? ÿ ß ',
  mixed: 'echo héllo wörld Ωμέγα привет 漢字テキスト 😀🚀 ',
}
const SIZES = quick ? [1024, 65536] : [64, 1024, 8192, 65536, 1 << 20]

/** A text of exactly `bytes` UTF-8 bytes: whole characters of the unit, repeated, then ASCII up to the size. */
function text(kind: string, bytes: number): string {
  const unit = UNITS[kind]!
  let s = unit.repeat(Math.floor(bytes / Buffer.byteLength(unit)))
  let used = Buffer.byteLength(s)
  for (const ch of unit) {
    const n = Buffer.byteLength(ch)
    if (used + n > bytes) break
    s += ch
    used += n
  }
  return s + 'a'.repeat(bytes - used)
}

let sink = 0
/**
 * `--cpu`: time batches by the CPU time this process used (`process.cpuUsage`, user + system) instead of the wall
 * clock. On a machine shared with other work the wall clock also counts the time the process waited for a core;
 * CPU time does not (cache and frequency effects of the neighbours remain).
 */
const cpuClock = process.argv.includes('--cpu')
function now(): bigint {
  if (!cpuClock) return process.hrtime.bigint()
  const u = process.cpuUsage()
  return BigInt(u.user + u.system) * 1000n
}
/** ns per call: the median of 5 timed batches of ~20 ms (quick: 3 of ~5 ms), after a warm-up batch. */
function time(fn: () => number): number {
  const target = quick ? 5e6 : 2e7
  let n = 1
  for (;;) {
    const t = now()
    for (let i = 0; i < n; i++) sink += fn()
    if (Number(now() - t) >= target / 4) break
    n *= 2
  }
  const runs: number[] = []
  for (let r = 0; r < (quick ? 3 : 5); r++) {
    const t = now()
    for (let i = 0; i < n; i++) sink += fn()
    runs.push(Number(now() - t) / n)
  }
  runs.sort((a, b) => a - b)
  return runs[runs.length >> 1]!
}

interface Row {
  kind: string
  bytes: number
  units: number
  decodeNode: number
  decodeNative: number
  decodeBaseline: number | null
  encodeNode: number
  encodeOurs: number
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const rows: Row[] = []
for (const kind of Object.keys(UNITS)) {
  for (const bytes of SIZES) {
    const s = text(kind, bytes)
    const buf = Buffer.from(s)
    // Correctness first: a benchmark of a wrong result is worthless.
    if (native.decodeText(buf) !== s || tsCodec.decodeUtf8(buf) !== s || !utf8Bytes(s).equals(buf)) {
      throw new Error(`wrong result for ${kind} ${bytes}`)
    }
    if (baseline !== null && baseline.decodeUtf8(buf) !== s) throw new Error(`baseline: wrong result for ${kind} ${bytes}`)
    const fns: Array<[keyof Row, () => number]> = [
      ['decodeNode', () => buf.toString('utf8').length],
      ['decodeNative', () => native.decodeText(buf)!.length],
      ['encodeNode', () => Buffer.from(s, 'utf8').length],
      ['encodeOurs', () => utf8Bytes(s).length],
    ]
    if (baseline !== null) fns.push(['decodeBaseline', () => baseline.decodeUtf8(buf)!.length])
    const samples = new Map<keyof Row, number[]>(fns.map(([k]) => [k, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < fns.length; i++) {
        const [k, fn] = fns[(i + round) % fns.length]!
        samples.get(k)!.push(time(fn))
      }
    }
    const m = (k: keyof Row): number => median(samples.get(k)!)
    rows.push({
      kind,
      bytes,
      units: s.length,
      decodeNode: m('decodeNode'),
      decodeNative: m('decodeNative'),
      decodeBaseline: baseline === null ? null : m('decodeBaseline'),
      encodeNode: m('encodeNode'),
      encodeOurs: m('encodeOurs'),
    })
  }
}

const machine = machineInfo()
const fmt = (ns: number): string => (ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${Math.round(ns)} ns`)
const size = (n: number): string => (n >= 1 << 20 ? `${n >> 20} MiB` : n >= 1024 ? `${n >> 10} KiB` : `${n} B`)
const lines = [
  '# Text message strings: decode and encode',
  '',
  `- ${new Date().toISOString()}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load average ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')}`,
  `- ${cpuClock ? 'CPU time (process.cpuUsage), not wall clock; ' : ''}${quick ? 'quick: median of 3 batches of ~5 ms' : `median of ${ROUNDS} interleaved rounds (rotating order) of the median of 5 batches of ~20 ms`} per cell, after a warm-up; every result checked against Node's first.`,
  `- commit ${machine.commit}${baselineArg === undefined ? '' : `; "before" = raw decodeUtf8 of ${baselineArg}`}. Native decode = \`codec.decodeText\` (validates as it decodes); Buffer#toString does not validate.`,
  '',
  `| text | size | decode: Buffer#toString | decode: ferrosocket native | × |${baseline === null ? '' : ' decode: addon before | after ÷ before |'} encode: Buffer.from | encode: ferrosocket utf8Bytes | × |`,
  `|---|---:|---:|---:|---:|${baseline === null ? '' : '---:|---:|'}---:|---:|---:|`,
  ...rows.map(
    (r) =>
      `| ${r.kind} | ${size(r.bytes)} | ${fmt(r.decodeNode)} | ${fmt(r.decodeNative)} | ${(r.decodeNode / r.decodeNative).toFixed(2)}× |` +
      (r.decodeBaseline === null ? '' : ` ${fmt(r.decodeBaseline)} | ${(r.decodeBaseline / r.decodeNative).toFixed(2)}× |`) +
      ` ${fmt(r.encodeNode)} | ${fmt(r.encodeOurs)} | ${(r.encodeNode / r.encodeOurs).toFixed(2)}× |`,
  ),
  '',
]
const md = lines.join('\n')
console.log(md)
if (!quick) {
  const results = join(here, 'results')
  writeFileSync(join(results, 'text.json'), JSON.stringify({ machine, rows }, null, 2) + '\n')
  writeFileSync(join(results, 'text.md'), md)
  console.log('written: benches/results/text.{json,md}')
}
if (sink === 0.5) console.log(sink)
