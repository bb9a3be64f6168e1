/**
 * Measures the twin/native crossover behind the thresholds in ts/codec/index.ts (not a test):
 *   node --import @oxc-node/core/register __test__/helpers/codec-thresholds.ts
 * Raw implementations (no argument validation, which both paths share), ns per call, median of 5 runs of ≥ 20 ms.
 */
import { twinCodec } from '../../ts/codec/twin/index.js'
import { loadNativeCodec } from '../../ts/codec/index.js'
import { createNativeCodec, type NativeAddon } from '../../ts/codec/native.js'
import { loadNative } from '../../ts/codec/loader.js'
import type { Codec } from '../../ts/codec/types.js'

void loadNativeCodec
const addon = loadNative().addon as NativeAddon | null
if (addon === null) throw new Error('addon not loaded')
const nat = createNativeCodec(addon)

function timeIt(fn: () => void): number {
  let n = 1
  for (;;) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) fn()
    const dt = Number(process.hrtime.bigint() - t0)
    if (dt > 20e6) return dt / n
    n *= 2
  }
}
function median(fn: () => void): number {
  const xs = Array.from({ length: 5 }, () => timeIt(fn)).sort((a, b) => a - b)
  return xs[2]!
}

const sizes = (process.argv[2] ?? '0,8,16,32,48,64,96,128,192,256,384,512,1024,4096,65536').split(',').map(Number)
const key = Buffer.from('37fa213d', 'hex')
const mixed = Buffer.from('aé€😀κόσμε '.repeat(20000), 'utf8')
const ascii = Buffer.alloc(1 << 20, 0x61)

type Bench = (c: Codec, n: number) => () => void
const benches: Record<string, Bench> = {
  unmask: (c, n) => { const b = Buffer.alloc(n, 1); return () => c.unmask(b, key) },
  mask: (c, n) => { const s = Buffer.alloc(n, 1); const o = Buffer.alloc(n + 6); return () => c.mask(s, key, o, 6, n) },
  isValidUtf8_ascii: (c, n) => { const b = ascii.subarray(0, n); return () => void c.isValidUtf8(b) },
  isValidUtf8_mixed: (c, n) => { const b = Buffer.from(mixed.subarray(0, n)); return () => void c.isValidUtf8(b) },
  utf8Stream_mixed: (c, n) => { const b = Buffer.from(mixed.subarray(0, n)); return () => void c.utf8Stream(0, b, false) },
  // Whole characters only (a cut one would be invalid and return early): about n bytes of valid text.
  decodeText_mixed: (c, n) => { const b = Buffer.from(mixed.subarray(0, n).toString().replace(/\uFFFD/g, '')); return () => void c.decodeText(b) },
  decodeText_ascii: (c, n) => { const b = ascii.subarray(0, n); return () => void c.decodeText(b) },
  parseFrames_binary: (c, n) => {
    const payload = Buffer.alloc(n, 7)
    const f = Buffer.alloc(c.encodedLength(n, 0, true))
    c.encodeMessage(payload, 2, false, 0, key, f, 0)
    const st = new Float64Array(8)
    const out = new Float64Array(64)
    const opts = { flags: 1, maxFrameSize: 1 << 30, maxMessageSize: 1 << 30, maxFragments: 0 }
    return () => void c.parseFrames(f, 0, f.length, opts, st, out)
  },
  parseFrames_text: (c, n) => {
    const payload = ascii.subarray(0, n)
    const f = Buffer.alloc(c.encodedLength(n, 0, true))
    c.encodeMessage(payload, 1, false, 0, Buffer.alloc(4), f, 0) // zero key: the payload stays valid text
    const st = new Float64Array(8)
    const out = new Float64Array(64)
    const opts = { flags: 1, maxFrameSize: 1 << 30, maxMessageSize: 1 << 30, maxFragments: 0 }
    return () => void c.parseFrames(f, 0, f.length, opts, st, out)
  },
  encodeMessage_masked: (c, n) => {
    const p = Buffer.alloc(n, 3)
    const out = Buffer.alloc(n + 14)
    return () => void c.encodeMessage(p, 2, false, 0, key, out, 0)
  },
  encodeHeader: (c, n) => { const out = Buffer.alloc(14); return () => void c.encodeHeader(out, 0, 0x82, n, 0x37fa213d) },
}

const only = process.argv[3]
for (const [name, bench] of Object.entries(benches)) {
  if (only !== undefined && !only.split(',').includes(name)) continue
  console.log(`\n${name}: size  ts-ns  native-ns  winner`)
  for (const n of sizes) {
    const t = median(bench(twinCodec, n))
    const v = median(bench(nat, n))
    console.log(`  ${String(n).padStart(6)} ${t.toFixed(1).padStart(9)} ${v.toFixed(1).padStart(9)}  ${t <= v ? 'ts' : 'native'}`)
  }
}
