/**
 * Crossover of the seam: the payload size from which calling the addon beats the TS twin (an
 * N-API call costs 50–100 ns, so tiny buffers stay in TS). The seam's cut-offs in ts/codec/index.ts should come
 * from this run, not from ws's numbers.
 */
import type { WorkerOutput } from '../worker.js'

export interface Crossover {
  op: string
  /** Smallest scanned size from which native is at least as fast as TS at this and every larger scanned size. */
  crossover?: number
  /** Smallest scanned size where native is faster at all. */
  firstWin?: number
  points: Array<{ size: number; nativeNs?: number; tsNs?: number; ratio?: number }>
}

export function crossovers(outputs: WorkerOutput[]): Crossover[] {
  const native = outputs.find((o) => o.impl === 'native-raw')
  const ts = outputs.find((o) => o.impl === 'ts')
  const ops = [...new Set(outputs.flatMap((o) => o.results.map((r) => r.op)))]
  return ops.map((op) => {
    const sizes = [...new Set(outputs.flatMap((o) => o.results.filter((r) => r.op === op).map((r) => r.size)))].sort(
      (a, b) => a - b,
    )
    const points = sizes.map((size) => {
      const n = native?.results.find((r) => r.op === op && r.size === size)?.hz
      const t = ts?.results.find((r) => r.op === op && r.size === size)?.hz
      const p: Crossover['points'][number] = { size }
      if (n) p.nativeNs = 1e9 / n
      if (t) p.tsNs = 1e9 / t
      if (n && t) p.ratio = n / t
      return p
    })
    const result: Crossover = { op, points }
    const measured = points.filter((p) => p.ratio !== undefined)
    if (measured.length === points.length && measured.length > 0) {
      const win = measured.find((p) => (p.ratio ?? 0) >= 1)
      if (win) result.firstWin = win.size
      let from: number | undefined
      for (let i = measured.length - 1; i >= 0; i--) {
        const p = measured[i]
        if (!p || (p.ratio ?? 0) < 1) break
        from = p.size
      }
      if (from !== undefined) result.crossover = from
    }
    return result
  })
}

export function crossoverMarkdown(list: Crossover[]): string {
  const out = ['## Crossovers (native addon called directly vs TS twin)', '']
  out.push('| operation | native wins from (stays ahead) | first native win |', '|---|---:|---:|')
  for (const c of list) {
    const fmt = (x: number | undefined) => (x === undefined ? 'never in 8..256 B' : `${x} B`)
    out.push(`| ${c.op} | ${fmt(c.crossover)} | ${fmt(c.firstWin)} |`)
  }
  out.push('', '## ns per call', '')
  for (const c of list) {
    out.push(`**${c.op}**`, '', '| bytes | native ns | TS ns | native speed-up |', '|---:|---:|---:|---:|')
    for (const p of c.points) {
      const f = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(1))
      out.push(`| ${p.size} | ${f(p.nativeNs)} | ${f(p.tsNs)} | ${p.ratio === undefined ? 'n/a' : p.ratio.toFixed(2) + '×'} |`)
    }
    out.push('')
  }
  return out.join('\n')
}
