/**
 * Differential property test (security.md §5.2 "native vs TS"): seeded random frame streams — valid and invalid
 * frames, wrong masks, reserved bits and opcodes, huge 64-bit lengths, bad UTF-8 and close payloads, limits —
 * chopped at random points into TCP chunks and fed to a WebSocketConnection on each backend. The codec is chosen
 * once per process, so the same cases run in two child processes (FERROSOCKET_BACKEND=ts and =native) and every
 * case must give identical events (messages, frames, pings, close code and description) and identical bytes out.
 *
 * FERROSOCKET_DIFF_RUNS raises the number of cases (default 10,000, the security plan's count; ~4 s).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import test from 'ava'
import fc from 'fast-check'
import type { DiffCase, DiffResult } from './helpers/sec-diff-child.js'

const RUNS = Number(process.env['FERROSOCKET_DIFF_RUNS'] ?? 10000)
const SEED = 0x5eed6455
const CHILD = fileURLToPath(new URL('./helpers/sec-diff-child.ts', import.meta.url))

const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff])

const payloadArb = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 100, maxLength: 500 }).map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 700 }).map((a) => Buffer.from(a)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('cebaff', 'c0af', 'eda080', 'f4908080', 'e282', 'f0', 'ff', 'efbfbe').map((h) =>
      Buffer.from(h, 'hex'),
    ),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(1000, 1001, 1002, 1005, 1006, 999, 1016, 3000, 4999, 5000), fc.string({ maxLength: 20 }))
      .map(([code, reason]) => Buffer.concat([u16(code), Buffer.from(reason)])),
  },
)

const frameArb = fc.record({
  fin: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  rsv: fc.oneof({ weight: 30, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
  opcode: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(0, 1, 2) },
    { weight: 5, arbitrary: fc.constantFrom(8, 9, 10) },
    { weight: 1, arbitrary: fc.constantFrom(3, 7, 0xb, 0xf) },
  ),
  payload: payloadArb,
  length: fc.oneof(
    { weight: 40, arbitrary: fc.constant('min' as const) },
    { weight: 2, arbitrary: fc.constant('16' as const) },
    { weight: 2, arbitrary: fc.constant('64' as const) },
    { weight: 1, arbitrary: fc.constantFrom('2^53' as const, 'top' as const, '2^40' as const) },
  ),
  wrongMask: fc.oneof({ weight: 60, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  key: fc.uint8Array({ minLength: 4, maxLength: 4 }),
})

type FrameSpec = typeof frameArb extends fc.Arbitrary<infer T> ? T : never

function encode(f: FrameSpec, masked: boolean): Buffer {
  const p = f.payload
  const head: number[] = [(f.fin ? 0x80 : 0) | (f.rsv << 4) | f.opcode]
  const m = masked ? 0x80 : 0
  const big = (n: bigint): number[] => [...Buffer.from(n.toString(16).padStart(16, '0'), 'hex')]
  if (f.length === '2^53') head.push(m | 127, ...big(1n << 53n))
  else if (f.length === 'top') head.push(m | 127, ...big(1n << 63n))
  else if (f.length === '2^40') head.push(m | 127, ...big(1n << 40n))
  else if (f.length === '64' || (f.length === 'min' && p.length > 0xffff)) head.push(m | 127, ...big(BigInt(p.length)))
  else if (f.length === '16' || p.length > 125) head.push(m | 126, p.length >> 8, p.length & 0xff)
  else head.push(m | p.length)
  const huge = f.length === '2^53' || f.length === 'top' || f.length === '2^40'
  const key = Buffer.from(f.key)
  const body = huge ? Buffer.alloc(0) : Buffer.from(p)
  if (masked) for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i & 3] as number)
  return Buffer.concat([Buffer.from(head), masked ? key : Buffer.alloc(0), body])
}

/** A well-formed data message: its payload split into 1–5 fragments (UTF-8 split anywhere), pings between. */
const messageArb = fc
  .record({
    opcode: fc.constantFrom(1, 2),
    payload: fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }).map((s) => Buffer.from(s)),
      fc.string({ unit: 'binary', minLength: 100, maxLength: 600 }).map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
    ),
    splits: fc.array(fc.nat(), { maxLength: 4 }),
    pings: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    keys: fc.array(fc.uint8Array({ minLength: 4, maxLength: 4 }), { minLength: 10, maxLength: 10 }),
  })
  .map(({ opcode, payload, splits, pings, keys }): FrameSpec[] => {
    const at = [...new Set(splits.map((x) => x % (payload.length + 1)))].sort((a, b) => a - b)
    const bounds = [0, ...at, payload.length]
    const frames: FrameSpec[] = []
    for (let i = 0; i + 1 < bounds.length; i++) {
      const base = { rsv: 0, length: 'min' as const, wrongMask: false, key: keys[i]! }
      const fin = i + 2 === bounds.length
      frames.push({ ...base, fin, opcode: i === 0 ? opcode : 0, payload: payload.subarray(bounds[i], bounds[i + 1]) })
      if (!fin && pings[i]) frames.push({ ...base, fin: true, opcode: 9, payload: Buffer.from('p'), key: keys[9]! })
    }
    return frames
  })

const caseArb: fc.Arbitrary<DiffCase> = fc
  .record({
    role: fc.constantFrom('server' as const, 'client' as const),
    frames: fc
      .array(fc.oneof({ weight: 3, arbitrary: messageArb }, { weight: 1, arbitrary: frameArb.map((f) => [f]) }), {
        minLength: 1,
        maxLength: 6,
      })
      .map((items) => items.flat()),
    cuts: fc.array(fc.nat(), { maxLength: 12 }),
    maxReceivedFrameSize: fc.constantFrom(0x10000, 300),
    maxReceivedMessageSize: fc.constantFrom(0x100000, 1000),
    maxReceivedFragments: fc.constantFrom(1024, 3),
    assembleFragments: fc.oneof(
      { weight: 4, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    ),
  })
  .map(({ role, frames, cuts, ...limits }) => {
    const bytes = Buffer.concat(frames.map((f) => encode(f, (role === 'server') !== f.wrongMask)))
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
    return { role, hex: bytes.toString('hex'), cuts: at, ...limits }
  })

function runChild(backend: 'ts' | 'native', cases: DiffCase[]): Promise<{ backend: string; results: DiffResult[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', '@oxc-node/core/register', CHILD], {
      env: { ...process.env, FERROSOCKET_BACKEND: backend },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`${backend} child timed out`))
    }, 90_000)
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`${backend} child exited ${code}: ${err}`))
      else resolve(JSON.parse(out) as { backend: string; results: DiffResult[] })
    })
    child.stdin.end(JSON.stringify(cases))
  })
}

test(`native vs TS: ${RUNS} random frame streams × random chops → identical events and bytes`, async (t) => {
  t.timeout(120_000)
  const cases = fc.sample(caseArb, { seed: SEED, numRuns: RUNS })
  const [ts, native] = await Promise.all([runChild('ts', cases), runChild('native', cases)])
  t.is(ts.backend, 'ts')
  t.is(native.backend, 'native')
  t.is(ts.results.length, cases.length)
  let mismatches = 0
  for (let i = 0; i < cases.length; i++) {
    const [a, b] = [ts.results[i], native.results[i]]
    if (JSON.stringify(a) === JSON.stringify(b)) continue
    if (mismatches++ < 3) t.deepEqual(b, a, `case ${i}: ${JSON.stringify(cases[i])}`)
  }
  t.is(mismatches, 0)

  // The generator must reach the interesting paths, or agreement means nothing.
  const closes = new Map<string, number>()
  let messages = 0
  for (const r of ts.results) {
    if (r.events.some((e) => e.startsWith('text ') || e.startsWith('binary '))) messages++
    const close = r.events.find((e) => e.startsWith('close '))
    const replied = /(^| )88[0-9a-f]{2}\/(00000000\/)?03e8/.test(r.wire)
    const code = close?.split(' ')[1] ?? (replied ? 'replied 1000' : 'open')
    closes.set(code, (closes.get(code) ?? 0) + 1)
  }
  const seen = JSON.stringify([...closes].sort())
  t.true(messages > RUNS / 10, `cases with messages: ${messages}`)
  for (const code of ['replied 1000', '1002', '1007', '1008', '1009', 'open']) t.true((closes.get(code) ?? 0) > 0, seen)
  t.log(`close outcomes: ${seen}; cases with messages: ${messages}`)
})
