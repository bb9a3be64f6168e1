/** Medians, ratios to ws and the Markdown table of the permessage-deflate workloads (issue 9; `run.ts --deflate`). */
import { IMPL_LABEL, median, mediansAndRanges, num as formatNumber, ratio, type Impl } from './report.js'

export type DeflateWorkloadId = 'deflate-text-1KiB-100' | 'deflate-text-64KiB-1' | 'deflate-binary-64KiB-1'

export interface DeflateCell {
  impl: Impl
  round: number
  workload: DeflateWorkloadId
  metrics: Record<string, number>
  error?: string
}

interface Row {
  label: string
  workload: DeflateWorkloadId
  metric: string
  higherIsBetter: boolean
  unit: string
  scale: number
}

const W1 = 'deflate-text-1KiB-100'
const W64 = 'deflate-text-64KiB-1'
const B64 = 'deflate-binary-64KiB-1'
const ROWS: Row[] = [
  { label: 'JSON 1 KiB × 100 conns', workload: W1, metric: 'perSec', higherIsBetter: true, unit: 'msg/s', scale: 1 },
  { label: 'JSON 1 KiB × 100 conns, payload', workload: W1, metric: 'mbPerSec', higherIsBetter: true, unit: 'MB/s', scale: 1 },
  { label: 'JSON 1 KiB, reply wire ÷ payload', workload: W1, metric: 'replyRatio', higherIsBetter: false, unit: 'ratio', scale: 1 },
  { label: 'JSON 1 KiB, server CPU per message', workload: W1, metric: 'serverCpuUsPerMsg', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'JSON 1 KiB × 100, p50', workload: W1, metric: 'p50us', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'JSON 1 KiB × 100, p99', workload: W1, metric: 'p99us', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'JSON 64 KiB × 1 conn', workload: W64, metric: 'perSec', higherIsBetter: true, unit: 'msg/s', scale: 1 },
  { label: 'JSON 64 KiB × 1 conn, payload', workload: W64, metric: 'mbPerSec', higherIsBetter: true, unit: 'MB/s', scale: 1 },
  { label: 'JSON 64 KiB, reply wire ÷ payload', workload: W64, metric: 'replyRatio', higherIsBetter: false, unit: 'ratio', scale: 1 },
  { label: 'JSON 64 KiB, server CPU per message', workload: W64, metric: 'serverCpuUsPerMsg', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'JSON 64 KiB × 1, p50', workload: W64, metric: 'p50us', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'JSON 64 KiB × 1, p99', workload: W64, metric: 'p99us', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'JSON 64 KiB as binary × 1 conn, payload', workload: B64, metric: 'mbPerSec', higherIsBetter: true, unit: 'MB/s', scale: 1 },
  { label: 'JSON 64 KiB as binary, server CPU per message', workload: B64, metric: 'serverCpuUsPerMsg', higherIsBetter: false, unit: 'µs', scale: 1 },
  { label: 'JSON 64 KiB as binary × 1, p99', workload: B64, metric: 'p99us', higherIsBetter: false, unit: 'µs', scale: 1 },
]

export interface DeflateSummaryRow {
  label: string
  workload: DeflateWorkloadId
  metric: string
  unit: string
  higherIsBetter: boolean
  /** Median per implementation (scaled to `unit`), null when not measured. */
  median: Partial<Record<Impl, number | null>>
  /** min–max over rounds. */
  range: Partial<Record<Impl, [number, number] | null>>
  /** Advantage over ws 8 + bufferutil (> 1 = better, whatever the metric's direction). */
  vsWs: Partial<Record<Impl, number | null>>
}

export function summarizeDeflate(cells: DeflateCell[], impls: Impl[]): DeflateSummaryRow[] {
  const present = new Set(cells.map((c) => c.workload))
  return ROWS.filter((r) => present.has(r.workload)).map((row) => {
    const { med, range } = mediansAndRanges(cells, impls, row)
    const vsWs: Partial<Record<Impl, number | null>> = {}
    for (const impl of impls) {
      const ours = med[impl]
      const ref = med.ws
      vsWs[impl] = ours == null || ref == null || ours === 0 || ref === 0 ? null : row.higherIsBetter ? ours / ref : ref / ours
    }
    return { label: row.label, workload: row.workload, metric: row.metric, unit: row.unit, higherIsBetter: row.higherIsBetter, median: med, range, vsWs }
  })
}

/** A cell as report.ts formats it; compression ratios with three decimals. */
function num(x: number | null | undefined, unit: string): string {
  return unit === 'ratio' && x != null ? x.toFixed(3) : formatNumber(x)
}

/** The results table alone (what README quotes). websocket@1.0.35 is uncompressed: its ratio column is n/a. */
export function deflateTable(rows: DeflateSummaryRow[]): string[] {
  const impls = Object.keys(rows[0]?.median ?? {}) as Impl[]
  const label = (i: Impl) => (i === 'websocket' ? `${IMPL_LABEL[i]} (no compression)` : IMPL_LABEL[i])
  const hasTs = impls.includes('ferro-ts')
  const lines = [
    `| workload | unit | ${impls.map(label).join(' | ')} | native × ws |${hasTs ? ' TS twin × ws |' : ''}`,
    `|---|---|${impls.map(() => '---:').join('|')}|---:|${hasTs ? '---:|' : ''}`,
  ]
  for (const r of rows) {
    lines.push(
      `| ${r.label} | ${r.unit} ${r.higherIsBetter ? '↑' : '↓'} | ${impls.map((i) => num(r.median[i], r.unit)).join(' | ')} | ${ratio(r.vsWs['ferro-native'])} |${hasTs ? ` ${ratio(r.vsWs['ferro-ts'])} |` : ''}`,
    )
  }
  return lines
}

export function renderDeflateMarkdown(meta: Record<string, unknown>, rows: DeflateSummaryRow[], cells: DeflateCell[]): string {
  const m = meta.machine as Record<string, unknown>
  const impls = Object.keys(rows[0]?.median ?? {}) as Impl[]
  const reqRatio = (w: DeflateWorkloadId) => {
    const xs = cells.filter((c) => c.workload === w && c.impl !== 'websocket' && Number.isFinite(c.metrics.requestRatio))
    return xs.length > 0 ? xs[0]!.metrics.requestRatio!.toFixed(3) : 'n/a'
  }
  const clientCpu = cells.map((c) => c.metrics.clientCpu).filter((x): x is number => Number.isFinite(x))
  const failures = cells.filter((c) => c.error !== undefined)
  const lines = [
    '# ferrosocket end-to-end benchmark: permessage-deflate (issue 9)',
    '',
    `- date ${String(m.date)}, commit ${String(m.commit)}; ${String(m.cpu)}, ${String(m.cores)} cores; Node ${String(m.node)}, zlib ${String(meta.zlib)}`,
    `- mode ${String(meta.mode)}: ${String(meta.rounds)} interleaved round(s), ${String(meta.warmupMs)} ms warm-up + ${String(meta.durationMs)} ms measured per cell; server pinned to CPU 0 and load generator to CPU 1: ${String(meta.pinned)}; ${String(meta.seconds)} s in all`,
    ...(Array.isArray(meta.uncommitted) && meta.uncommitted.length > 0
      ? [`- library built from the working tree, with uncommitted changes to: ${(meta.uncommitted as string[]).join(', ')}`]
      : []),
    `- load average at start ${(m.loadavgStart as number[]).map((x) => x.toFixed(2)).join(' ')}, at end ${(m.loadavgEnd as number[]).map((x) => x.toFixed(2)).join(' ')}`,
    '- cells: median over rounds. "× ws" = advantage over ws 8 + bufferutil with `perMessageDeflate: { threshold: 0 }`: throughput ours ÷ theirs; ratio, latency and CPU theirs ÷ ours (so > 1 is always better).',
    '- servers: echo, every message compressed (`perMessageDeflate: { threshold: 0 }` on ferrosocket and ws; all other settings at their defaults, the same on both: context takeover both ways, 15-bit windows, Node zlib level 6 and memLevel 8, 10 zlib jobs at once). ferrosocket echoes `utf8Data` with `sendUTF`, ws echoes the Buffer. websocket@1.0.35 has no permessage-deflate: it declines the offer and echoes uncompressed (reference only).',
    `- payload: JSON chat/event messages from a seeded PRNG (\`benches/lib/textgen.ts\`), exactly 1 KiB / 64 KiB each, 512 / 16 distinct messages per connection in a loop; the binary row sends the 64 KiB texts as binary messages (echoed as binary: no string round trip on the ferrosocket side). Load generator: raw \`net\` client offering \`permessage-deflate; client_max_window_bits\`, messages compressed once up front through one context-takeover deflater (level 6, window 15): request wire ÷ payload ${reqRatio(W1)} (1 KiB), ${reqRatio(W64)} (64 KiB). Every reply is reassembled, inflated (context kept) and compared byte for byte with what was sent; one wrong reply fails the cell. One message in flight per connection.`,
    '- "reply wire ÷ payload": bytes of the server\'s reply frames on the load generator\'s socket (headers included) ÷ uncompressed payload bytes, over the measured window.',
    `- load generator CPU (share of one core, all cells): median ${clientCpu.length > 0 ? median(clientCpu).toFixed(2) : 'n/a'}, max ${clientCpu.length > 0 ? Math.max(...clientCpu).toFixed(2) : 'n/a'}.`,
    ...(failures.length > 0 ? [`- **failed cells: ${failures.length}** (${failures.map((c) => `${c.impl} ${c.workload} round ${c.round + 1}: ${c.error}`).join('; ')})`] : []),
    '',
    ...deflateTable(rows),
    '',
    '## Ranges (min–max over rounds)',
    '',
    `| workload | ${impls.map((i) => IMPL_LABEL[i]).join(' | ')} |`,
    `|---|${impls.map(() => '---').join('|')}|`,
  ]
  for (const r of rows) {
    lines.push(`| ${r.label} (${r.unit}) | ${impls.map((i) => (r.range[i] == null ? 'n/a' : `${num(r.range[i]![0], r.unit)}–${num(r.range[i]![1], r.unit)}`)).join(' | ')} |`)
  }
  lines.push('')
  return lines.join('\n')
}
