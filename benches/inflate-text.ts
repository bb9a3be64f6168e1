/**
 * Inflated text (issue 16): `node --import @oxc-node/core/register benches/inflate-text.ts [--rounds=N]`. A received
 * permessage-deflate text message, from its compressed payload to `utf8Data` and the bytes `sendUTF` reuses:
 *   before = inflate, join zlib's chunks (`Buffer.concat`), then `codec.decodeText` (validates as it transcodes);
 *   after  = inflate with each chunk appended to a text message as zlib produces it (`textAppend`: copied and
 *            validated once, fail-fast), then `textFinish` (non-validating transcode) and `textTakeBytes` (≥ 1 KiB).
 * CPU time of the whole process (zlib runs on the thread pool), per message, over sequential messages with context
 * takeover (as the e2e deflate workloads); median of interleaved rounds. Runs from `dist/` (build first).
 * Prints a markdown table (recorded by hand in benches/results/text.md).
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSequence } from './lib/deflate-wire.js'
import { jsonMessages } from './lib/textgen.js'
import { machineInfo } from './lib/machine.js'

const here = dirname(fileURLToPath(import.meta.url))
const dist = join(here, '..', 'dist')
const { codec } = (await import(join(dist, 'codec', 'index.js'))) as typeof import('../ts/codec/index.js')
const { PerMessageDeflate } = (await import(join(dist, 'PerMessageDeflate.js'))) as typeof import('../ts/PerMessageDeflate.js')
const { resolveDeflateOptions } = (await import(join(dist, 'deflate', 'negotiate.js'))) as typeof import('../ts/deflate/negotiate.js')
type Pmd = InstanceType<typeof PerMessageDeflate>

const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 5)
const opts = resolveDeflateOptions(true)!
const params = { ownNoContextTakeover: false, ownMaxWindowBits: 15, peerNoContextTakeover: false, peerMaxWindowBits: 15 }

const cpu = (): number => {
  const u = process.cpuUsage()
  return u.user + u.system
}

const message = codec.textCreate()
let first = true
const sink = {
  appendInflated(chunk: Buffer, final: boolean): boolean {
    const start = first
    first = false
    if (start) codec.textReset(message)
    return codec.textAppend(message, chunk, -1, final ? -1 : chunk.length >= 16384 ? 1 << 20 : 0) >= 0
  },
}

function once(pmd: Pmd, payload: Buffer, after: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    first = true
    pmd.decompress(
      payload,
      0,
      (err, out) => {
        if (err !== null || out === undefined) return reject(err)
        if (!after) {
          const s = codec.decodeText(out)
          if (s === null) return reject(new Error('invalid'))
          resolve(s.length + out.length)
          return
        }
        const s = codec.textFinish(message, true)
        resolve(s.length + codec.textTakeBytes(message).length)
      },
      after ? sink : null,
    )
  })
}

/** µs of process CPU per message: all messages once, in order, on a fresh inflater (the context follows them). */
async function timeRun(compressed: Buffer[], after: boolean, reps: number): Promise<number> {
  let best = Infinity
  for (let r = 0; r < reps; r++) {
    const pmd = new PerMessageDeflate(params, opts)
    const t = cpu()
    for (const c of compressed) await once(pmd, c, after)
    best = Math.min(best, (cpu() - t) / compressed.length)
    pmd.close()
  }
  return best
}

const rows: string[] = []
const machine = machineInfo()
for (const [label, size, count] of [
  ['JSON 1 KiB', 1024, 512],
  ['JSON 64 KiB', 65536, 48],
] as const) {
  const messages = jsonMessages(9, size, count)
  // As a peer sends them: one context-takeover deflater, trailer removed (RFC 7692 §7.2.1).
  const compressed = await deflateSequence(messages)
  // Correctness first.
  {
    const pmd = new PerMessageDeflate(params, opts)
    for (const [i, c] of compressed.entries()) {
      const want = messages[i]!.toString().length + messages[i]!.length
      if ((await once(pmd, c, false)) !== want) throw new Error('before: wrong result')
    }
    pmd.close()
    const pmd2 = new PerMessageDeflate(params, opts)
    for (const [i, c] of compressed.entries()) {
      const want = messages[i]!.toString().length + messages[i]!.length
      if ((await once(pmd2, c, true)) !== want) throw new Error('after: wrong result')
    }
    pmd2.close()
  }
  const samples = { before: [] as number[], after: [] as number[] }
  for (let round = 0; round < ROUNDS; round++) {
    for (const k of round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
      samples[k].push(await timeRun(compressed, k === 'after', 3))
    }
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
  const b = med(samples.before)
  const a = med(samples.after)
  rows.push(`| ${label} | ${b.toFixed(1)} µs | ${a.toFixed(1)} µs | ${(b / a).toFixed(2)}× |`)
}
console.log(
  [
    `- ${new Date().toISOString()}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, commit ${machine.commit}; backend ${codec.backend}; load average ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')}`,
    `- process CPU per inflated message (zlib's thread included), best of 3 passes over the sequence per cell, median of ${ROUNDS} interleaved rounds`,
    '',
    '| message | before: join + decodeText | after: chunks into the text message | before ÷ after |',
    '|---|---:|---:|---:|',
    ...rows,
  ].join('\n'),
)
