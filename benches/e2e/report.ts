/** Medians, ratios, the Markdown table and the SVG chart of the end-to-end harness (`run.ts`). */

export type Impl = 'ferro-native' | 'ferro-ts' | 'ferro-base' | 'ws' | 'ws-js' | 'websocket'
export type WorkloadId =
  | 'echo-32B-1'
  | 'echo-32B-100'
  | 'echo-32B-1000'
  | 'echo-32B-100-pipelined'
  | 'echo-64KiB-text'
  | 'echo-64KiB-ascii'
  | 'echo-1MiB-binary'
  | 'connrate'
  | 'broadcast-1KiB-1000'
  | 'idle-5000'

export interface Cell {
  impl: Impl
  round: number
  workload: WorkloadId
  metrics: Record<string, number>
  error?: string
}

export const IMPL_LABEL: Record<Impl, string> = {
  'ferro-native': 'ferrosocket (native)',
  'ferro-ts': 'ferrosocket (TS twin)',
  'ferro-base': 'ferrosocket baseline (--baseline build, native)',
  ws: 'ws 8 + bufferutil',
  'ws-js': 'ws 8, JS fallback',
  websocket: 'websocket@1.0.35',
}

/** One table row: a metric of a workload, and whether bigger is better. */
interface Row {
  label: string
  workload: WorkloadId
  metric: string
  higherIsBetter: boolean
  unit: string
  scale: number
  /** Target for ferrosocket native as an advantage over ws (≥), if issue 7 sets one. */
  target?: number
}

const ROWS: Row[] = [
  { label: 'echo 32 B, 1 conn', workload: 'echo-32B-1', metric: 'perSec', higherIsBetter: true, unit: 'rt/s', scale: 1 },
  { label: 'echo 32 B, 100 conns', workload: 'echo-32B-100', metric: 'perSec', higherIsBetter: true, unit: 'rt/s', scale: 1, target: 1.2 },
  { label: 'echo 32 B, 1,000 conns', workload: 'echo-32B-1000', metric: 'perSec', higherIsBetter: true, unit: 'rt/s', scale: 1 },
  { label: 'echo 32 B, 100 conns × 16 in flight', workload: 'echo-32B-100-pipelined', metric: 'perSec', higherIsBetter: true, unit: 'msg/s', scale: 1 },
  { label: 'p50, 32 B × 100', workload: 'echo-32B-100', metric: 'p50us', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'p99, 32 B × 100', workload: 'echo-32B-100', metric: 'p99us', higherIsBetter: false, unit: 'µs', scale: 1, target: 1 },
  { label: 'p99, 32 B × 1,000', workload: 'echo-32B-1000', metric: 'p99us', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'echo 64 KiB text, 1 conn', workload: 'echo-64KiB-text', metric: 'mbPerSec', higherIsBetter: true, unit: 'MB/s', scale: 1, target: 1.2 },
  { label: 'echo 64 KiB ASCII text, 1 conn', workload: 'echo-64KiB-ascii', metric: 'mbPerSec', higherIsBetter: true, unit: 'MB/s', scale: 1 },
  { label: 'echo 1 MiB binary, 1 conn', workload: 'echo-1MiB-binary', metric: 'mbPerSec', higherIsBetter: true, unit: 'MB/s', scale: 1, target: 1.3 },
  { label: 'broadcast 1 KiB → 1,000', workload: 'broadcast-1KiB-1000', metric: 'perSec', higherIsBetter: true, unit: 'msg/s', scale: 1, target: 2 },
  { label: 'connection rate', workload: 'connrate', metric: 'perSec', higherIsBetter: true, unit: 'handshakes/s', scale: 1 },
  { label: 'idle RSS per conn (5,000)', workload: 'idle-5000', metric: 'rssBytesPerConn', higherIsBetter: false, unit: 'KB', scale: 1e-3, target: 1.25 },
  { label: 'idle heap+external per conn', workload: 'idle-5000', metric: 'heapBytesPerConn', higherIsBetter: false, unit: 'KB', scale: 1e-3 },
  { label: 'server CPU per rt, 32 B × 100', workload: 'echo-32B-100', metric: 'serverCpuUsPerMsg', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'server CPU per msg, 32 B × 100 × 16', workload: 'echo-32B-100-pipelined', metric: 'serverCpuUsPerMsg', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'server CPU per delivery, broadcast', workload: 'broadcast-1KiB-1000', metric: 'serverCpuUsPerMsg', higherIsBetter: false, unit: 'µs', scale: 1 },
]

export interface SummaryRow {
  label: string
  workload: WorkloadId
  metric: string
  unit: string
  higherIsBetter: boolean
  target?: number
  /** Median per implementation (scaled to `unit`), null when not measured. */
  median: Partial<Record<Impl, number | null>>
  /** min–max over rounds. */
  range: Partial<Record<Impl, [number, number] | null>>
  /** Advantage over ws / over websocket (> 1 = better, whatever the metric's direction). */
  vsWs: Partial<Record<Impl, number | null>>
  vsWebsocket: Partial<Record<Impl, number | null>>
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Per implementation: the median and min–max over rounds of one row's metric (scaled), null when not measured. */
export function mediansAndRanges(
  cells: Array<{ impl: Impl; workload: string; metrics: Record<string, number> }>,
  impls: Impl[],
  row: { workload: string; metric: string; scale: number },
): { med: Partial<Record<Impl, number | null>>; range: Partial<Record<Impl, [number, number] | null>> } {
  const med: Partial<Record<Impl, number | null>> = {}
  const range: Partial<Record<Impl, [number, number] | null>> = {}
  for (const impl of impls) {
    const xs = cells
      .filter((c) => c.impl === impl && c.workload === row.workload && Number.isFinite(c.metrics[row.metric]))
      .map((c) => c.metrics[row.metric]! * row.scale)
    med[impl] = xs.length > 0 ? median(xs) : null
    range[impl] = xs.length > 0 ? [Math.min(...xs), Math.max(...xs)] : null
  }
  return { med, range }
}

export function summarize(cells: Cell[], impls: Impl[]): SummaryRow[] {
  return ROWS.map((row) => {
    const { med, range } = mediansAndRanges(cells, impls, row)
    const adv = (ours: number | null | undefined, ref: number | null | undefined) =>
      ours == null || ref == null || ours === 0 || ref === 0 ? null : row.higherIsBetter ? ours / ref : ref / ours
    const vsWs: Partial<Record<Impl, number | null>> = {}
    const vsWebsocket: Partial<Record<Impl, number | null>> = {}
    for (const impl of impls) {
      vsWs[impl] = adv(med[impl], med.ws)
      vsWebsocket[impl] = adv(med[impl], med.websocket)
    }
    const out: SummaryRow = { label: row.label, workload: row.workload, metric: row.metric, unit: row.unit, higherIsBetter: row.higherIsBetter, median: med, range, vsWs, vsWebsocket }
    if (row.target !== undefined) out.target = row.target
    return out
  })
}

export function num(x: number | null | undefined): string {
  if (x == null) return 'n/a'
  if (x >= 100_000) return `${(x / 1000).toFixed(0)}k`
  if (x >= 10_000) return `${(x / 1000).toFixed(1)}k`
  if (x >= 100) return x.toFixed(0)
  if (x >= 10) return x.toFixed(1)
  return x.toFixed(2)
}

export const ratio = (x: number | null | undefined) => (x == null ? 'n/a' : `${x.toFixed(2)}×`)

export function renderMarkdown(meta: Record<string, unknown>, rows: SummaryRow[]): string {
  const m = meta.machine as Record<string, unknown>
  const impls = Object.keys(rows[0]?.median ?? {}) as Impl[]
  const lines = [
    '# ferrosocket end-to-end benchmark',
    '',
    `- date ${String(m.date)}, commit ${String(m.commit)}; ${String(m.cpu)}, ${String(m.cores)} cores; Node ${String(m.node)}`,
    `- mode ${String(meta.mode)}: ${String(meta.rounds)} interleaved round(s), ${String(meta.warmupMs)} ms warm-up + ${String(meta.durationMs)} ms measured per cell; server pinned to CPU 0 and load generator to CPU 1: ${String(meta.pinned)}; ${String(meta.seconds)} s in all`,
    `- load average at start ${(m.loadavgStart as number[]).map((x) => x.toFixed(2)).join(' ')}, at end ${(m.loadavgEnd as number[]).map((x) => x.toFixed(2)).join(' ')}`,
    '- cells: median over rounds. "× ws" / "× websocket" = advantage of the row over ws 8 + bufferutil / websocket@1.0.35: throughput ours ÷ theirs; latency, memory and CPU theirs ÷ ours (so > 1 is always better).',
    '- load: raw `net` client, pre-encoded masked frames, one message in flight per connection (echo), replies counted from frame headers; broadcast: one connection triggers, the server sends to all (ferrosocket and websocket: `broadcastUTF`; ws: loop over `send`), 4 triggers in flight.',
    '',
    `| workload | unit | ${impls.map((i) => IMPL_LABEL[i]).join(' | ')} | native × ws | native × websocket | TS twin × websocket | target (native × ws) |`,
    `|---|---|${impls.map(() => '---:').join('|')}|---:|---:|---:|---|`,
  ]
  for (const r of rows) {
    const target =
      r.target === undefined
        ? ''
        : `${r.target.toFixed(2)}× ${r.vsWs['ferro-native'] == null ? '?' : r.vsWs['ferro-native']! >= r.target ? 'met' : '**MISS**'}`
    const twin = r.vsWebsocket['ferro-ts']
    lines.push(
      `| ${r.label} | ${r.unit} ${r.higherIsBetter ? '↑' : '↓'} | ${impls.map((i) => num(r.median[i])).join(' | ')} | ${ratio(r.vsWs['ferro-native'])} | ${ratio(r.vsWebsocket['ferro-native'])} | ${ratio(twin)}${twin != null && twin < 1 ? ' **MISS**' : ''} | ${target} |`,
    )
  }
  lines.push('', '## Ranges (min–max over rounds)', '', `| workload | ${impls.map((i) => IMPL_LABEL[i]).join(' | ')} |`, `|---|${impls.map(() => '---').join('|')}|`)
  for (const r of rows) {
    lines.push(`| ${r.label} (${r.unit}) | ${impls.map((i) => (r.range[i] == null ? 'n/a' : `${num(r.range[i]![0])}–${num(r.range[i]![1])}`)).join(' | ')} |`)
  }
  lines.push('', '![advantage over ws](e2e.svg)', '')
  return lines.join('\n')
}

const COLORS: Partial<Record<Impl, string>> = {
  'ferro-native': '#d9480f',
  'ferro-ts': '#f59f00',
  'ws-js': '#868e96',
  websocket: '#1c7ed6',
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Grouped horizontal bars: advantage over ws (1.0 = ws) per workload row, one bar per other implementation. */
export function renderSvg(rows: SummaryRow[]): string {
  const impls = (Object.keys(rows[0]?.median ?? {}) as Impl[]).filter((i) => i !== 'ws')
  const bar = 11
  const groupH = impls.length * bar + 10
  const left = 250
  const width = 820
  const plotW = width - left - 60
  const top = 50
  const height = top + rows.length * groupH + 40
  const max = Math.max(2, ...rows.flatMap((r) => impls.map((i) => r.vsWs[i] ?? 0)).filter(Number.isFinite))
  const cap = Math.min(Math.ceil(max * 2) / 2, 6)
  const x = (v: number) => left + (Math.min(v, cap) / cap) * plotW
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="20" y="18" font-size="13" font-weight="bold">× ws 8 + bufferutil (1.0 = ws; higher is better: throughput ours/ws, latency/memory/CPU ws/ours)</text>`,
  ]
  impls.forEach((impl, k) => {
    out.push(`<rect x="${20 + k * 195}" y="28" width="10" height="10" fill="${COLORS[impl]}"/>`)
    out.push(`<text x="${20 + k * 195 + 14}" y="37">${esc(IMPL_LABEL[impl])}</text>`)
  })
  for (let t = 0; t <= cap + 1e-9; t += 0.5) {
    out.push(`<line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${height - 30}" stroke="${t === 1 ? '#000' : '#e9ecef'}"/>`)
    out.push(`<text x="${x(t)}" y="${height - 16}" text-anchor="middle">${t.toFixed(1)}×</text>`)
  }
  rows.forEach((r, g) => {
    const y0 = top + g * groupH
    out.push(`<text x="${left - 8}" y="${y0 + groupH / 2}" text-anchor="end">${esc(r.label)}</text>`)
    impls.forEach((impl, k) => {
      const v = r.vsWs[impl]
      const y = y0 + k * bar + 4
      if (v == null) {
        out.push(`<text x="${left + 4}" y="${y + 9}" fill="#adb5bd">n/a</text>`)
        return
      }
      out.push(`<rect x="${left}" y="${y}" width="${(x(v) - left).toFixed(1)}" height="${bar - 2}" fill="${COLORS[impl]}"/>`)
      out.push(`<text x="${x(v) + 3}" y="${y + 9}">${v.toFixed(2)}${v > cap ? ' (off scale)' : ''}</text>`)
    })
  })
  out.push('</svg>', '')
  return out.join('\n')
}
