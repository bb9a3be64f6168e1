/** Tables (console and Markdown), ratios and the issue-2 target checks, computed from the workers' results. */
import type { CellResult, WorkerOutput } from '../worker.js'
import type { ImplSpec } from './impls.js'
import type { MachineInfo } from './machine.js'
import { KiB, formatSize } from './workloads.js'

export interface Row {
  impl: string
  label: string
  role: ImplSpec['role']
  hz?: number
  rme?: number
  gbps?: number
  /** ops/s ÷ the best peer's ops/s in the same cell. */
  vsPeer?: number
  bestPeer?: string
  /** ops/s ÷ the limit row's ops/s in the same cell. */
  vsLimit?: number
  error?: string
}

export interface Cell {
  op: string
  size: number
  rows: Row[]
}

/** What each operation measures, printed above its table. */
export const OP_DESCRIPTIONS: Record<string, string> = {
  mask: 'mask(source, key, output, headerOffset, n): XOR into a frame-sized output at the header offset',
  unmask: 'unmask(buffer, key) in place, payload at its frame-header offset (unaligned, as received)',
  'utf8-ascii': 'whole-buffer UTF-8 validation, ASCII text',
  'utf8-mixed': 'whole-buffer UTF-8 validation, ~35% ASCII + Latin-1/Greek/Cyrillic/CJK/emoji',
  'utf8-invalid': 'whole-buffer UTF-8 validation, 0xFF at byte 0 (does the validator exit early?)',
  'parse-binary':
    'one masked binary frame → header checks + unmask + a Buffer of the payload (ours: parseFrames + subarray; ' +
    'ws: Receiver.write → "message"; websocket: FastBufferList + WebSocketFrame.addData, no nextTick/setImmediate; ' +
    'limit: read length + copy payload out)',
  'parse-text-ascii': 'as parse-binary, text frame, + UTF-8 validation (no decode to string in any row), ASCII',
  'parse-text-mixed': 'as parse-binary, text frame, + UTF-8 validation (no decode to string in any row), mixed text',
  'parse-100-frames':
    'one chunk of 100 masked binary frames (size = total payload: 100 × 16 B, 125 B, 1 KiB); ops/s = chunks/s; ' +
    'websocket runs its per-frame path in a loop, without its setImmediate between frames',
}

export function buildCells(outputs: WorkerOutput[], specs: readonly ImplSpec[]): Cell[] {
  const byKey = new Map<string, Cell>()
  const roleOf = new Map(specs.map((s) => [s.id, s.role]))
  for (const out of outputs) {
    for (const r of out.results) {
      const key = `${r.op}\u0000${r.size}`
      let cell = byKey.get(key)
      if (!cell) {
        cell = { op: r.op, size: r.size, rows: [] }
        byKey.set(key, cell)
      }
      cell.rows.push(toRow(out, r, roleOf.get(out.impl) ?? 'peer'))
    }
  }
  for (const out of outputs) {
    if (!out.error) continue
    // The implementation could not load: one row per cell of the other implementations, marked as missing.
    for (const cell of byKey.values()) {
      if (!cell.rows.some((x) => x.impl === out.impl)) {
        cell.rows.push({ impl: out.impl, label: out.label, role: roleOf.get(out.impl) ?? 'peer', error: out.error })
      }
    }
  }
  const order = specs.map((s) => s.id)
  for (const cell of byKey.values()) {
    cell.rows.sort((a, b) => order.indexOf(a.impl) - order.indexOf(b.impl))
    const peers = cell.rows.filter((r) => r.role === 'peer' && r.hz !== undefined)
    const best = peers.reduce<Row | undefined>((acc, r) => (acc && (acc.hz ?? 0) >= (r.hz ?? 0) ? acc : r), undefined)
    const limit = cell.rows.find((r) => r.role === 'limit' && r.hz !== undefined)
    for (const row of cell.rows) {
      if (row.hz === undefined) continue
      if (best?.hz) {
        row.vsPeer = row.hz / best.hz
        row.bestPeer = best.impl
      }
      if (limit?.hz) row.vsLimit = row.hz / limit.hz
    }
  }
  return [...byKey.values()]
}

function toRow(out: WorkerOutput, r: CellResult, role: ImplSpec['role']): Row {
  const row: Row = { impl: out.impl, label: out.label, role }
  if (r.error !== undefined) row.error = r.error
  if (r.hz !== undefined) {
    row.hz = r.hz
    row.rme = r.rme ?? 0
    row.gbps = (r.hz * r.size) / 1e9
  }
  return row
}

export function fmtHz(hz: number): string {
  if (hz >= 1e6) return `${(hz / 1e6).toFixed(hz >= 1e8 ? 0 : 2)}M`
  if (hz >= 1e3) return `${(hz / 1e3).toFixed(hz >= 1e5 ? 0 : 1)}k`
  return hz.toFixed(hz >= 100 ? 0 : 1)
}

const fmtRatio = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(2)}×`)
const fmtGbps = (x: number | undefined): string => (x === undefined ? '–' : x >= 10 ? x.toFixed(1) : x.toFixed(2))

function rowCells(cell: Cell, row: Row): string[] {
  if (row.hz === undefined) {
    const why = row.error ?? 'not measured'
    return [formatSize(cell.size), row.label, 'n/a', '', '', '', '', why.length > 60 ? `${why.slice(0, 57)}…` : why]
  }
  return [
    formatSize(cell.size),
    row.label,
    fmtHz(row.hz),
    `±${(row.rme ?? 0).toFixed(1)}%`,
    fmtGbps(row.gbps),
    row.role === 'peer' && row.vsPeer === 1 ? 'best' : fmtRatio(row.vsPeer),
    row.role === 'limit' ? '1.00×' : fmtRatio(row.vsLimit),
    (row.rme ?? 0) > 5 ? 'noisy' : '',
  ]
}

const HEADER = ['size', 'implementation', 'ops/s', '±rme', 'GB/s', '× best peer', '× limit', 'note']

/** Plain-text table for the terminal. */
export function consoleTables(cells: Cell[]): string {
  const lines: string[] = []
  for (const op of [...new Set(cells.map((c) => c.op))]) {
    lines.push('', `## ${op} — ${OP_DESCRIPTIONS[op] ?? op}`)
    const rows = [HEADER]
    for (const cell of cells.filter((c) => c.op === op)) for (const row of cell.rows) rows.push(rowCells(cell, row))
    const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
    for (const r of rows) {
      const padded = r.map((v, i) => (i <= 1 || i === 7 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0)))
      lines.push(padded.join('  ').trimEnd())
    }
  }
  return lines.join('\n')
}

/** Markdown: a compact GB/s matrix per operation, then the full tables. */
export function markdownTables(cells: Cell[]): string {
  const out: string[] = []
  const ops = [...new Set(cells.map((c) => c.op))]
  out.push('## Summary (GB/s; in brackets: × best peer for our rows, × limit for the limit row’s neighbours)', '')
  for (const op of ops) {
    const opCells = cells.filter((c) => c.op === op)
    const impls = [...new Map(opCells.flatMap((c) => c.rows.map((r) => [r.impl, r.label] as const))).entries()]
    out.push(`**${op}** — ${OP_DESCRIPTIONS[op] ?? op}`, '')
    out.push(`| implementation | ${opCells.map((c) => formatSize(c.size)).join(' | ')} |`)
    out.push(`|---|${opCells.map(() => '---:').join('|')}|`)
    for (const [impl, label] of impls) {
      const vals = opCells.map((c) => {
        const r = c.rows.find((x) => x.impl === impl)
        if (!r || r.hz === undefined) return 'n/a'
        const ratio = r.role === 'ours' ? ` (${fmtRatio(r.vsPeer)})` : ''
        return `${fmtGbps(r.gbps)}${ratio}`
      })
      out.push(`| ${label} | ${vals.join(' | ')} |`)
    }
    out.push('')
  }
  out.push('## Full tables', '')
  for (const op of ops) {
    out.push(`### ${op}`, '', OP_DESCRIPTIONS[op] ?? '', '')
    out.push(`| ${HEADER.join(' | ')} |`, `|---|---|${HEADER.slice(2, -1).map(() => '---:').join('|')}|---|`)
    for (const cell of cells.filter((c) => c.op === op)) {
      for (const row of cell.rows) out.push(`| ${rowCells(cell, row).join(' | ')} |`)
    }
    out.push('')
  }
  return out.join('\n')
}

export interface TargetCheck {
  target: string
  op: string
  size: number
  value?: number
  threshold: number
  pass: boolean
  /** True when the ±rme intervals of the two rows overlap: the verdict is within noise. */
  withinNoise: boolean
  detail: string
}

function find(cell: Cell | undefined, impl: string): Row | undefined {
  return cell?.rows.find((r) => r.impl === impl && r.hz !== undefined)
}

function check(target: string, cell: Cell, ours: Row | undefined, ref: Row | undefined, threshold: number): TargetCheck {
  const base = { target, op: cell.op, size: cell.size, threshold }
  if (!ours?.hz || !ref?.hz) return { ...base, pass: false, withinNoise: false, detail: 'not measured' }
  const value = ours.hz / ref.hz
  // Ratio bounds from the two ±rme (percent of the mean): within noise when the threshold lies between them.
  const lo = (value * (1 - (ours.rme ?? 0) / 100)) / (1 + (ref.rme ?? 0) / 100)
  const hi = (value * (1 + (ours.rme ?? 0) / 100)) / (1 - (ref.rme ?? 0) / 100)
  return {
    ...base,
    value,
    pass: value >= threshold,
    withinNoise: lo <= threshold && threshold <= hi,
    detail: `${ours.impl} ${fmtHz(ours.hz)} vs ${ref.impl} ${fmtHz(ref.hz)}`,
  }
}

/** The targets of issue 2 (reported, never asserted). */
export function targetChecks(cells: Cell[]): TargetCheck[] {
  const checks: TargetCheck[] = []
  for (const cell of cells) {
    const native = find(cell, 'native')
    const ts = find(cell, 'ts')
    const masking = cell.op === 'mask' || cell.op === 'unmask'
    if (masking && cell.size >= 64 * KiB) {
      checks.push(check('native mask/unmask ≥ 0.8× Buffer.copy from 64 KiB', cell, native, find(cell, 'limit'), 0.8))
      // websocket@1.0.35 calls bufferutil at every size: its row is bufferutil itself.
      const bufferutil = find(cell, 'websocket')
      const c = check('native mask/unmask ≥ 1.5× bufferutil from 64 KiB', cell, native, bufferutil, 1.5)
      const copy = find(cell, 'limit')
      // Masking into a second buffer cannot beat memcpy: say when the target lies above that ceiling.
      if (copy?.hz && bufferutil?.hz && copy.hz / bufferutil.hz < 1.5) {
        c.detail += `; Buffer.copy itself is only ${(copy.hz / bufferutil.hz).toFixed(2)}× bufferutil here`
      }
      checks.push(c)
    }
    if (native) {
      const best = cell.rows.find((r) => r.impl === native.bestPeer)
      checks.push(check('native ≥ 1.0× best peer at every size', cell, native, best, 1.0))
    }
    if ((cell.op === 'utf8-ascii' || cell.op === 'utf8-mixed') && cell.size >= KiB) {
      checks.push(check('native UTF-8 ≥ 0.9× buffer.isUtf8 from 1 KiB', cell, native, find(cell, 'limit'), 0.9))
    }
    if (masking && cell.size >= KiB) {
      checks.push(check('TS mask/unmask ≥ 5× ws JS loop from 1 KiB', cell, ts, find(cell, 'ws-js'), 5))
    }
  }
  return checks
}

export function targetsMarkdown(checks: TargetCheck[]): string {
  const out = ['## Issue 2 targets', '']
  for (const target of [...new Set(checks.map((c) => c.target))]) {
    const list = checks.filter((c) => c.target === target)
    const misses = list.filter((c) => !c.pass)
    out.push(`**${target}**: ${list.length - misses.length}/${list.length} cells met.`)
    for (const m of misses) {
      const v = m.value === undefined ? 'not measured' : `${m.value.toFixed(2)}×`
      out.push(`- MISS ${m.op} ${formatSize(m.size)}: ${v} (${m.detail})${m.withinNoise ? ' — within ±rme' : ''}`)
    }
    out.push('')
  }
  return out.join('\n')
}

export function machineMarkdown(m: MachineInfo, notes: Record<string, string[]>, provisional: string): string {
  const flags = Object.entries(m.cpuFlags)
    .map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`)
    .join(', ')
  const lines = [
    `- date: ${m.date}; commit ${m.commit}`,
    `- CPU: ${m.cpu}, ${m.cores} cores (${flags}); ${m.os}`,
    `- Node ${m.node}, V8 ${m.v8}, simdutf ${m.simdutf}`,
    `- load average at start ${m.loadavgStart.map((x) => x.toFixed(2)).join(' ')}` +
      (m.loadavgEnd ? `, at end ${m.loadavgEnd.map((x) => x.toFixed(2)).join(' ')}` : ''),
    `- packages: ${Object.entries(m.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ]
  for (const [impl, n] of Object.entries(notes)) if (n.length) lines.push(`- ${impl}: ${n.join('; ')}`)
  if (provisional) lines.push(`- **${provisional}**`)
  return lines.join('\n')
}
