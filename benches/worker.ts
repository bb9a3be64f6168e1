/**
 * Child process of `benches/benchmark.ts`: benchmarks ONE implementation (argv[2]) over the cells described by the
 * JSON job (argv[3]) and writes its results as JSON to argv[4]. One implementation per process keeps V8's type
 * feedback and inline caches from being shared between rows (up to 2× skew otherwise).
 */
import { writeFileSync } from 'node:fs'
import { isUtf8 } from 'node:buffer'
import Benchmark from 'benchmark'

import { loadAdapter, type Adapter } from './lib/impls.js'
import {
  BINARY_KEY,
  TEXT_KEY,
  atFrameOffset,
  invalidAtStart,
  maskedFrame,
  maskedHeaderLength,
  pseudoRandomBytes,
  textPayload,
  xorInto,
} from './lib/workloads.js'

export interface Job {
  cells: Array<{ op: string; size: number }>
  maxTime: number
  minSamples: number
  minTime: number
}

export interface CellResult {
  impl: string
  op: string
  size: number
  hz?: number
  rme?: number
  samples?: number
  /** Why the cell was not measured (operation missing, wrong result, exception). */
  error?: string
}

export interface WorkerOutput {
  impl: string
  label: string
  notes: string[]
  error?: string
  results: CellResult[]
  sink: number
}

// Every result feeds this so V8 cannot drop a call whose value is unused.
let sink = 0

function equal(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.compare(a, b) === 0
}

/** Builds the timed function of one cell after checking that the implementation computes the right result. */
function prepare(adapter: Adapter, op: string, size: number): () => void {
  const key = BINARY_KEY
  switch (op) {
    case 'mask': {
      const mask = adapter.mask
      if (!mask) throw new Error('no mask')
      const source = pseudoRandomBytes(size)
      const offset = maskedHeaderLength(size)
      const output = Buffer.alloc(offset + size)
      mask(source, key, output, offset, size)
      const expected = Buffer.from(source)
      xorInto(expected, key)
      // The limit row copies instead of masking: it is the bound, not a result.
      if (adapter.label.startsWith('limit') ? !equal(output.subarray(offset), source) : !equal(output.subarray(offset), expected)) {
        throw new Error('wrong mask output')
      }
      return () => mask(source, key, output, offset, size)
    }
    case 'unmask': {
      const unmask = adapter.unmask
      if (!unmask) throw new Error('no unmask')
      const buffer = atFrameOffset(pseudoRandomBytes(size))
      const original = Buffer.from(buffer)
      unmask(buffer, key)
      const expected = Buffer.from(original)
      xorInto(expected, key)
      if (!adapter.label.startsWith('limit') && !equal(buffer, expected)) throw new Error('wrong unmask output')
      return () => unmask(buffer, key)
    }
    case 'utf8-ascii':
    case 'utf8-mixed':
    case 'utf8-invalid':
    case 'isValidUtf8-ascii':
    case 'isValidUtf8-mixed': {
      const validate = adapter.isValidUtf8
      if (!validate) throw new Error('no isValidUtf8')
      const data =
        op === 'utf8-invalid'
          ? invalidAtStart(size)
          : textPayload(op.endsWith('ascii') ? 'ascii' : 'mixed', size, op.startsWith('isValid'))
      const buffer = atFrameOffset(data)
      const expected = op !== 'utf8-invalid'
      if (validate(buffer) !== expected || isUtf8(buffer) !== expected) throw new Error('wrong UTF-8 verdict')
      return () => {
        if (validate(buffer)) sink++
      }
    }
    case 'utf8Stream-mixed': {
      const stream = adapter.utf8Stream
      if (!stream) throw new Error('no utf8Stream')
      const buffer = atFrameOffset(textPayload('mixed', size, true))
      if (stream(0, buffer, true) !== 0) throw new Error('wrong utf8Stream verdict')
      return () => {
        sink += stream(0, buffer, true)
      }
    }
    case 'parse-100-frames': {
      // One chunk of 100 masked binary frames of size/100 bytes each: small messages arriving together, where
      // one call per chunk (ours) meets one frame per call (websocket@1.0.35's path).
      if (!adapter.createParser) throw new Error('no parser')
      const parser = adapter.createParser()
      const each = Math.floor(size / 100)
      const payloads = Array.from({ length: 100 }, (_, i) => pseudoRandomBytes(each, i + 1))
      const chunk = Buffer.concat(payloads.map((p) => maskedFrame(2, p, key)))
      const limit = adapter.label.startsWith('limit')
      const last = payloads[99] ?? Buffer.alloc(0)
      if (parser.parse(chunk) !== each * 100 || !(limit || equal(parser.lastPayload(), last))) {
        throw new Error('wrong parse result')
      }
      return () => {
        sink += parser.parse(chunk)
      }
    }
    case 'parseFrames-binary':
      return prepare(adapter, 'parse-binary', size)
    case 'parseFrames-text':
      return prepare(adapter, 'parse-text-mixed', size)
    case 'parse-binary':
    case 'parse-text-ascii':
    case 'parse-text-mixed': {
      if (!adapter.createParser) throw new Error('no parser')
      const parser = adapter.createParser()
      const text = op !== 'parse-binary'
      const payload = text ? textPayload(op.endsWith('ascii') ? 'ascii' : 'mixed', size) : pseudoRandomBytes(size)
      const frameKey = text ? TEXT_KEY : key
      const frame = maskedFrame(text ? 1 : 2, payload, frameKey)
      const limit = adapter.label.startsWith('limit') // copies the still-masked payload: the bound, not a result
      if (parser.parse(frame) !== size || !(limit || equal(parser.lastPayload(), payload))) {
        throw new Error('wrong parse result')
      }
      // In-place parsers leave the frame's payload unmasked: the next parse sees the payload XOR key (still valid
      // text by construction of TEXT_KEY), and the one after that the original again.
      const flipped = Buffer.from(payload)
      xorInto(flipped, frameKey)
      const second = parser.parse(frame)
      const got = parser.lastPayload()
      if (second !== size || !(limit || equal(got, flipped) || equal(got, payload))) {
        throw new Error('wrong result on re-parse')
      }
      return () => {
        sink += parser.parse(frame)
      }
    }
    default:
      throw new Error(`unknown op ${op}`)
  }
}

function warmUp(fn: () => void): void {
  const until = performance.now() + 25
  for (let i = 0; i < 5000 && performance.now() < until; i++) fn()
}

async function main(): Promise<void> {
  const [impl, jobJson, outPath] = process.argv.slice(2)
  if (!impl || !jobJson || !outPath) throw new Error('usage: worker.ts <impl> <job-json> <out-path>')
  const job = JSON.parse(jobJson) as Job
  const output: WorkerOutput = { impl, label: impl, notes: [], results: [], sink: 0 }
  let adapter: Adapter
  try {
    adapter = await loadAdapter(impl)
  } catch (err) {
    output.error = err instanceof Error ? err.message : String(err)
    writeFileSync(outPath, JSON.stringify(output))
    return
  }
  output.label = adapter.label
  output.notes = adapter.notes
  for (const { op, size } of job.cells) {
    const result: CellResult = { impl, op, size }
    output.results.push(result)
    let fn: () => void
    try {
      fn = prepare(adapter, op, size)
    } catch (err) {
      result.error = err instanceof Error ? err.message : String(err)
      continue
    }
    warmUp(fn)
    const bench = new Benchmark(`${impl} ${op} ${size}`, fn, {
      maxTime: job.maxTime,
      minSamples: job.minSamples,
      minTime: job.minTime,
    })
    bench.run()
    if (bench.error) {
      result.error = String(bench.error)
    } else {
      result.hz = bench.hz
      result.rme = bench.stats.rme
      result.samples = bench.stats.sample.length
    }
    if (process.env.BENCH_VERBOSE) process.stderr.write(`  ${String(bench)}\n`)
  }
  output.sink = sink
  writeFileSync(outPath, JSON.stringify(output))
}

await main()
