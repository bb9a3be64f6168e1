/**
 * `npm run bench` — codec micro-benchmarks (issue 2), every implementation side by side in one run.
 *
 *   npm run bench                      full suite: 16 B … 16 MiB, all rows (several minutes)
 *   npm run bench -- --quick           smoke run: 3 sizes, short timings (seconds)
 *   npm run bench -- --thresholds      seam crossover scan, 8..256 B: native addon vs TS twin
 *   options: --impls=native,ws  --ops=mask,unmask  --sizes=16,1024  --max-time=0.5  --rounds=2
 *
 * Each (implementation, operation) runs in its own child process (`benches/worker.ts`) so that no row inherits
 * another's type feedback; the children run one after another, never in parallel. Results go to
 * `benches/results/<suite|quick|thresholds>.{json,md}` with the machine they were taken on.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Job, WorkerOutput } from './worker.js'
import { IMPLS, THRESHOLD_IMPLS, type ImplSpec } from './lib/impls.js'
import { machineInfo } from './lib/machine.js'
import {
  buildCells,
  consoleTables,
  machineMarkdown,
  markdownTables,
  targetChecks,
  targetsMarkdown,
} from './lib/report.js'
import { crossoverMarkdown, crossovers } from './lib/thresholds.js'
import { BATCH_SIZES, FULL_SIZES, INVALID_SIZES, OPS, QUICK_SIZES, THRESHOLD_OPS, THRESHOLD_SIZES, formatSize } from './lib/workloads.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const resultsDir = path.join(here, 'results')

interface Args {
  quick: boolean
  thresholds: boolean
  impls?: string[]
  ops?: string[]
  sizes?: number[]
  maxTime?: number
  rounds: number
  provisional: string
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, thresholds: false, rounds: 1, provisional: '' }
  for (const a of argv) {
    const [k, v = ''] = a.split('=', 2)
    if (k === '--quick') args.quick = true
    else if (k === '--thresholds') args.thresholds = true
    else if (k === '--impls') args.impls = v.split(',')
    else if (k === '--ops') args.ops = v.split(',')
    else if (k === '--sizes') args.sizes = v.split(',').map(Number)
    else if (k === '--max-time') args.maxTime = Number(v)
    else if (k === '--rounds') args.rounds = Math.max(1, Number(v) || 1)
    else if (k === '--note') args.provisional = v
    else throw new Error(`unknown argument ${a}`)
  }
  return args
}

function runWorker(spec: ImplSpec, job: Job, tmp: string): WorkerOutput {
  const outPath = path.join(tmp, `${spec.id}-${Math.random().toString(36).slice(2)}.json`)
  const env: Record<string, string | undefined> = { ...process.env }
  // Each child gets exactly its own switches, whatever the parent was started with.
  for (const k of ['FERROSOCKET_BACKEND', 'WS_NO_BUFFER_UTIL', 'WS_NO_UTF_8_VALIDATE']) delete env[k]
  Object.assign(env, spec.env)
  const child = spawnSync(
    process.execPath,
    ['--import', '@oxc-node/core/register', path.join(here, 'worker.ts'), spec.id, JSON.stringify(job), outPath],
    { env, stdio: ['ignore', 'inherit', 'inherit'], timeout: 30 * 60_000 },
  )
  try {
    const out = JSON.parse(readFileSync(outPath, 'utf8')) as WorkerOutput
    if (out.error) out.label = spec.label
    return out
  } catch {
    const why = child.error?.message ?? `exit ${child.status ?? child.signal}`
    return { impl: spec.id, label: spec.label, notes: [], error: `worker failed (${why})`, results: [], sink: 0 }
  }
}

/** Merges rounds of the same (impl, op, size): keeps the fastest (least disturbed by the other load on the box). */
function mergeRounds(outputs: WorkerOutput[]): WorkerOutput[] {
  const byImpl = new Map<string, WorkerOutput>()
  for (const o of outputs) {
    const prev = byImpl.get(o.impl)
    if (!prev) {
      byImpl.set(o.impl, { ...o, results: [...o.results], notes: [...o.notes] })
      continue
    }
    if (o.error && !prev.error && prev.results.length === 0) prev.error = o.error
    for (const n of o.notes) if (!prev.notes.includes(n)) prev.notes.push(n)
    for (const r of o.results) {
      const i = prev.results.findIndex((x) => x.op === r.op && x.size === r.size)
      const old = i >= 0 ? prev.results[i] : undefined
      if (!old) prev.results.push(r)
      else if ((r.hz ?? 0) > (old.hz ?? 0)) prev.results[i] = r
    }
  }
  return [...byImpl.values()]
}

function sizesFor(op: string, args: Args): number[] {
  if (args.sizes) return args.sizes
  if (args.thresholds) return THRESHOLD_SIZES
  if (op === 'utf8-invalid') return args.quick ? [64 * 1024] : INVALID_SIZES
  if (op === 'parse-100-frames') return args.quick ? [1600] : BATCH_SIZES
  return args.quick ? QUICK_SIZES : FULL_SIZES
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const specs = (args.thresholds ? THRESHOLD_IMPLS : IMPLS).filter((s) => !args.impls || args.impls.includes(s.id))
  const ops: readonly string[] = args.ops ?? (args.thresholds ? THRESHOLD_OPS : OPS)
  const timing = args.quick
    ? { maxTime: 0.05, minSamples: 2, minTime: 0.01 }
    : args.thresholds
      ? { maxTime: 0.25, minSamples: 5, minTime: 0.03 }
      : { maxTime: 0.5, minSamples: 5, minTime: 0.05 }
  if (args.maxTime !== undefined) timing.maxTime = args.maxTime

  const machine = machineInfo()
  const name = args.thresholds ? 'thresholds' : args.quick ? 'quick' : 'suite'
  console.log(`ferrosocket bench (${name}): ${machine.cpu}, ${machine.cores} cores, AVX2 ${machine.cpuFlags.avx2}, Node ${machine.node}`)
  console.log(`load average ${machine.loadavgStart.map((x) => x.toFixed(2)).join(' ')} — numbers on a busy machine are provisional`)

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ferrosocket-bench-'))
  const outputs: WorkerOutput[] = []
  const started = Date.now()
  try {
    // Interleave implementations per operation (and per round) so that background load drifts over all rows alike.
    // --quick runs all operations of an implementation in one process (start-up dominates a smoke run).
    const groups: string[][] = args.quick ? [[...ops]] : ops.map((op) => [op])
    for (let round = 0; round < args.rounds; round++) {
      for (const group of groups) {
        const cells = group.flatMap((op) => sizesFor(op, args).map((size) => ({ op, size })))
        const job: Job = { cells, ...timing }
        for (const spec of specs) {
          process.stdout.write(`round ${round + 1}/${args.rounds} ${group.length > 1 ? 'all' : group[0]} ${spec.id} … `)
          const t0 = Date.now()
          const out = runWorker(spec, job, tmp)
          outputs.push(out)
          const errs = out.results.filter((r) => r.error).length
          console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s${out.error ? ` (unavailable: ${out.error})` : ''}${errs ? ` (${errs} cells not measured)` : ''}`)
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  machine.loadavgEnd = os.loadavg()
  const merged = mergeRounds(outputs)
  const notes = Object.fromEntries(merged.map((o) => [o.label, o.error ? [`unavailable: ${o.error}`] : o.notes]))
  const provisional =
    args.provisional ||
    (machine.loadavgStart[0] !== undefined && machine.loadavgStart[0] > 0.5 * machine.cores
      ? `Provisional: the machine was busy (load ${machine.loadavgStart[0].toFixed(2)} on ${machine.cores} cores)`
      : '')
  mkdirSync(resultsDir, { recursive: true })
  const header = `# ferrosocket codec benchmark (${name})\n\n${machineMarkdown(machine, notes, provisional)}\n\n` +
    `Each row ran in its own process; timings: benchmark.js maxTime ${timing.maxTime} s, ${args.rounds} round(s) ` +
    `(best kept); ${((Date.now() - started) / 1000).toFixed(0)} s in all. GB/s = payload bytes × ops/s / 1e9. ` +
    `Best peer = the fastest of ws + bufferutil, ws JS fallback and websocket@1.0.35 in the same cell.\n`

  if (args.thresholds) {
    const list = crossovers(merged)
    const md = `${header}\n${crossoverMarkdown(list)}\n`
    writeFileSync(path.join(resultsDir, `${name}.md`), md)
    writeFileSync(path.join(resultsDir, `${name}.json`), JSON.stringify({ machine, timing, outputs: merged, crossovers: list }, null, 2))
    console.log(`\n${crossoverMarkdown(list)}`)
  } else {
    const cells = buildCells(merged, specs)
    const checks = targetChecks(cells)
    const md = `${header}\n${targetsMarkdown(checks)}\n${markdownTables(cells)}\n`
    writeFileSync(path.join(resultsDir, `${name}.md`), md)
    writeFileSync(
      path.join(resultsDir, `${name}.json`),
      JSON.stringify({ machine, timing, rounds: args.rounds, cells, targets: checks }, null, 2),
    )
    console.log(consoleTables(cells))
    console.log(`\n${targetsMarkdown(checks)}`)
  }
  console.log(`written: ${path.relative(process.cwd(), path.join(resultsDir, `${name}.{json,md}`))} (sizes: ${[...new Set(ops.flatMap((op) => sizesFor(op, args)))].map(formatSize).join(', ')})`)
}

await main()
