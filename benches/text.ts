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
 * Pieces (issue 16, second table): a text message that arrives in pieces, as the receive path handles it —
 *   one 64 KiB frame over two socket reads (65,522 + 14 bytes, masked: Node reads 64 KiB at a time), and a message
 *   in four 16 KiB fragments (WebSocket-Node's default fragmentation; unmasked by the parse already) — from the
 *   pieces to the string and, as `utf8Data` ≥ 1 KiB keeps them for `sendUTF`, its bytes in a Buffer:
 *   before = what the receiver and `_deliver` ran until issue 16's accumulator (each piece unmasked into a JS
 *            buffer — or, fragments, copied by the assembler — and validated by `utf8Stream`; then `decodeUtf8` of
 *            the whole, which validates again inside simdutf's transcoder);
 *   after  = `textAppend` per piece (copy + unmask + validate once, in the addon's memory), `textFinish` (simdutf's
 *            non-validating transcoders) and `textTakeBytes` (the vector moved into a Buffer).
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
const { codec, loadNativeCodec, tsCodec } = (await import(join(dist, 'codec', 'index.js'))) as typeof import('../ts/codec/index.js')
const { utf8Bytes } = (await import(join(dist, 'connection', 'text.js'))) as typeof import('../ts/connection/text.js')
const { MessageAssembler } = (await import(join(dist, 'connection', 'assembler.js'))) as typeof import('../ts/connection/assembler.js')

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

/** Pieces: [wire bytes, key rotated to its offset or -1] of one message; `masked` pieces arrive masked. */
function piecesOf(bytes: Buffer, sizes: number[], masked: boolean): Array<[Buffer, number]> {
  const key = [0x37, 0xfa, 0x21, 0x3d]
  const k32 = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0
  const out: Array<[Buffer, number]> = []
  let at = 0
  for (const n of sizes) {
    const piece = Buffer.from(bytes.subarray(at, at + n))
    if (masked) for (let i = 0; i < n; i++) piece[i] = piece[i]! ^ key[(at + i) & 3]!
    const s = (at & 3) * 8
    out.push([piece, masked ? (s === 0 ? k32 : ((k32 << s) | (k32 >>> (32 - s))) >>> 0) : -1])
    at += n
  }
  return out
}
const ROT = Buffer.alloc(4)
const assembler = new MessageAssembler()
/**
 * The receive path before issue 16's accumulator: a frame's pieces unmasked into a JS buffer (`Receiver.feedPending`),
 * fragments (already unmasked by the parse) joined by the `MessageAssembler` (growing by doubling); `utf8Stream` per
 * piece (the parse validated fragments natively with the same simdutf streaming check), then `decodeUtf8`.
 */
function before(pieces: Array<[Buffer, number]>, total: number): number {
  if (pieces[0]![1] === -1) {
    let state = 0
    let data: Buffer | null = null
    for (let i = 0; i < pieces.length; i++) {
      const last = i === pieces.length - 1
      state = codec.utf8Stream(state, pieces[i]![0], last)
      if (state < 0) throw new Error('invalid')
      data = assembler.add(i === 0 ? 1 : 0, last, pieces[i]![0], 1 << 30)
    }
    return codec.decodeUtf8(data!).length + data!.length
  }
  const buf = Buffer.allocUnsafe(total)
  let at = 0
  let state = 0
  for (let i = 0; i < pieces.length; i++) {
    const [piece, key] = pieces[i]!
    if (key === -1) piece.copy(buf, at)
    else {
      ROT.writeUInt32BE(key, 0)
      codec.mask(piece, ROT, buf, at, piece.length)
    }
    state = codec.utf8Stream(state, buf.subarray(at, at + piece.length), i === pieces.length - 1)
    if (state < 0) throw new Error('invalid')
    at += piece.length
  }
  const s = codec.decodeUtf8(buf)
  return s.length + buf.length
}
const message = codec.textCreate()
/** After: textAppend per piece, textFinish, textTakeBytes. */
function after(pieces: Array<[Buffer, number]>, total: number): number {
  let at = 0
  for (let i = 0; i < pieces.length; i++) {
    const [piece, key] = pieces[i]!
    at += piece.length
    const last = i === pieces.length - 1
    if (codec.textAppend(message, piece, key, last ? -1 : key === -1 ? 0 : total - at) < 0) throw new Error('invalid')
  }
  const s = codec.textFinish(message, true)
  return s.length + codec.textTakeBytes(message).length
}
interface PieceRow {
  kind: string
  how: string
  before: number
  after: number
}
const pieceRows: PieceRow[] = []
const PIECES: Array<[string, number[], boolean]> = [
  ['64 KiB frame in 2 reads (masked)', [65522, 14], true],
  ['64 KiB in 4 fragments of 16 KiB (unmasked by the parse)', [16384, 16384, 16384, 16384], false],
]
for (const kind of Object.keys(UNITS)) {
  const s = text(kind, 65536)
  const bytes = Buffer.from(s)
  for (const [how, sizes, masked] of PIECES) {
    const pieces = piecesOf(bytes, sizes, masked)
    const want = s.length + bytes.length
    if (before(pieces, bytes.length) !== want || after(pieces, bytes.length) !== want) throw new Error(`pieces: ${kind} ${how}`)
    const fns: Array<['before' | 'after', () => number]> = [
      ['before', () => before(pieces, bytes.length)],
      ['after', () => after(pieces, bytes.length)],
    ]
    const samples = { before: [] as number[], after: [] as number[] }
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < fns.length; i++) {
        const [k, fn] = fns[(i + round) % fns.length]!
        samples[k].push(time(fn))
      }
    }
    pieceRows.push({ kind, how, before: median(samples.before), after: median(samples.after) })
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
  '## Text in pieces (issue 16): from the pieces to the string and its bytes',
  '',
  `- backend ${codec.backend}; before = the receive path until issue 16's accumulator (a frame's pieces unmasked into a JS buffer, fragments joined by the MessageAssembler; \`utf8Stream\` per piece; then \`decodeUtf8\`, which validates again); after = \`textAppend\` per piece (copy + unmask + validate once) + \`textFinish\` (non-validating transcode) + \`textTakeBytes\` (the Buffer handed over). Same process, same rounds.`,
  '',
  '| text | pieces | before | after | before ÷ after |',
  '|---|---|---:|---:|---:|',
  ...pieceRows.map((r) => `| ${r.kind} | ${r.how} | ${fmt(r.before)} | ${fmt(r.after)} | ${(r.before / r.after).toFixed(2)}× |`),
  '',
]
const md = lines.join('\n')
console.log(md)
if (!quick) {
  const results = join(here, 'results')
  writeFileSync(join(results, 'text.json'), JSON.stringify({ machine, rows, pieceRows }, null, 2) + '\n')
  writeFileSync(join(results, 'text.md'), md)
  console.log('written: benches/results/text.{json,md}')
}
if (sink === 0.5) console.log(sink)
