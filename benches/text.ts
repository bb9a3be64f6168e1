/**
 * Text message strings (issue 7): `npm run bench:text [-- --quick]`. The WebSocket-Node API hands text messages
 * out as strings (`utf8Data`) and takes strings to send, so every text message costs a UTF-8 decode and most
 * sends an encode. This measures, per string and in ns:
 *   decode — `Buffer#toString('utf8')` (Node's decoder; the TS backend) vs `codec.decodeUtf8` of the native backend
 *            (encoding_rs in the addon, then one N-API string creation);
 *   encode — `Buffer.from(text, 'utf8')` vs ferrosocket's `utf8Bytes` (a Buffer of its own, as `sendUTF` needs
 *            for texts it does not copy into a frame: byteLength + latin1/utf8 write below 2 Ki units, above that
 *            `TextEncoder#encodeInto` into a shared scratch and one copy).
 * Texts: ASCII JSON, Latin-1-only (French/German without symbols above U+00FF), and mixed scripts (Greek,
 * Cyrillic, CJK, emoji). Runs from `dist/` (build first: the npm script does). Writes benches/results/text.{json,md}.
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { machineInfo } from './lib/machine.js'

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
const dist = join(here, '..', 'dist')
const { loadNativeCodec, tsCodec } = (await import(join(dist, 'codec', 'index.js'))) as typeof import('../ts/codec/index.js')
const { utf8Bytes } = (await import(join(dist, 'connection', 'text.js'))) as typeof import('../ts/connection/text.js')

const native = loadNativeCodec()
if (native === null) throw new Error('the native addon does not load: run `npm run build:native` first')

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
/** ns per call: the median of 5 timed batches of ~20 ms (quick: 3 of ~5 ms), after a warm-up batch. */
function time(fn: () => number): number {
  const target = quick ? 5e6 : 2e7
  let n = 1
  for (;;) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < n; i++) sink += fn()
    if (Number(process.hrtime.bigint() - t) >= target / 4) break
    n *= 2
  }
  const runs: number[] = []
  for (let r = 0; r < (quick ? 3 : 5); r++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < n; i++) sink += fn()
    runs.push(Number(process.hrtime.bigint() - t) / n)
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
  encodeNode: number
  encodeOurs: number
}
const rows: Row[] = []
for (const kind of Object.keys(UNITS)) {
  for (const bytes of SIZES) {
    const s = text(kind, bytes)
    const buf = Buffer.from(s)
    // Correctness first: a benchmark of a wrong result is worthless.
    if (native.decodeUtf8(buf) !== s || tsCodec.decodeUtf8(buf) !== s || !utf8Bytes(s).equals(buf)) {
      throw new Error(`wrong result for ${kind} ${bytes}`)
    }
    rows.push({
      kind,
      bytes,
      units: s.length,
      decodeNode: time(() => buf.toString('utf8').length),
      decodeNative: time(() => native.decodeUtf8(buf).length),
      encodeNode: time(() => Buffer.from(s, 'utf8').length),
      encodeOurs: time(() => utf8Bytes(s).length),
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
  `- ${quick ? 'quick: median of 3 batches of ~5 ms' : 'median of 5 batches of ~20 ms'} per cell, after a warm-up; every result checked against Node's first.`,
  '',
  '| text | size | decode: Buffer#toString | decode: ferrosocket native | × | encode: Buffer.from | encode: ferrosocket utf8Bytes | × |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.kind} | ${size(r.bytes)} | ${fmt(r.decodeNode)} | ${fmt(r.decodeNative)} | ${(r.decodeNode / r.decodeNative).toFixed(2)}× | ${fmt(r.encodeNode)} | ${fmt(r.encodeOurs)} | ${(r.encodeNode / r.encodeOurs).toFixed(2)}× |`,
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
