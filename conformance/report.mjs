// Reads Autobahn's reports (index.json + per-case JSON) and judges them against conformance/expected-results.json.
// Pure functions; scripts/conformance.mjs does the running and printing.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

/** Outcome columns of the summary table; every outcome not listed here counts as FAILED. */
export const COLUMNS = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED']

// OK and INFORMATIONAL both pass (INFORMATIONAL cases have no right answer: 7.1.6, 7.13.x). UNIMPLEMENTED is
// only acceptable where expected (12.*/13.* without permessage-deflate). Anything else — FAILED, WRONG CODE,
// UNCLEAN, FAILED BY CLIENT, NO_CLOSE, or a case missing from the report — is the worst rank.
const RANK = { OK: 0, INFORMATIONAL: 0, 'NON-STRICT': 1, UNIMPLEMENTED: 2 }
export const rank = (outcome) => RANK[outcome] ?? 3

/** Numeric sort key for case ids such as '9.3.10'. */
export function compareIds(a, b) {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1)
    if (d !== 0) return d
  }
  return 0
}

/** wstest matches case patterns with fnmatch; '*' and '?' are all our specs use. */
export function matchesAny(id, patterns) {
  return patterns.some((p) => {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
    return re.test(id)
  })
}

export function loadExpected(file) {
  return JSON.parse(readFileSync(file, 'utf8')).cases
}

/** The single agent's cases from an index.json, or {} when wstest wrote none. */
export function loadIndex(dir, agent) {
  const file = path.join(dir, 'index.json')
  if (!existsSync(file)) return {}
  const idx = JSON.parse(readFileSync(file, 'utf8'))
  return idx[agent] ?? {}
}

/** The worse of `behavior` and `behaviorClose`: a right echo with a wrong close code is not OK. */
export function outcomeOf(entry) {
  if (!entry) return 'MISSING'
  return rank(entry.behaviorClose) > rank(entry.behavior) ? entry.behaviorClose : entry.behavior
}

export const columnOf = (outcome) => (COLUMNS.includes(outcome) ? outcome : 'FAILED')

/**
 * Judges one run. `ids` are the cases that were selected; returns per-group counts, the cases worse than expected
 * (regressions, which fail the run) and those better than expected (expected-results.json can be tightened).
 */
export function judge(results, expected, ids) {
  const groups = new Map()
  const worse = []
  const better = []
  let duration = 0
  for (const id of ids) {
    const entry = results[id]
    const outcome = outcomeOf(entry)
    duration += entry?.duration ?? 0
    const g = id.split('.')[0]
    if (!groups.has(g)) groups.set(g, Object.fromEntries(COLUMNS.map((c) => [c, 0])))
    groups.get(g)[columnOf(outcome)]++
    const want = expected[id] ?? 'OK'
    if (rank(outcome) > rank(want)) worse.push({ id, outcome, want, entry })
    else if (rank(outcome) < rank(want)) better.push({ id, outcome, want, entry })
  }
  return { groups, worse, better, duration }
}

const OPCODES = { 0: 'CONT', 1: 'TEXT', 2: 'BIN', 8: 'CLOSE', 9: 'PING', 10: 'PONG' }

/** One wirelog frame ([len, text | '0x…'], opcode, fin, rsv, …) as e.g. `TEXT(no FIN) 5 B` or `CLOSE 1007`. */
function frame([len, data], opcode, fin, rsv) {
  let what = `${OPCODES[opcode] ?? `op${opcode}`}${fin ? '' : '(no FIN)'}${rsv ? `(rsv=${rsv})` : ''}`
  if (opcode === 8 && typeof data === 'string' && data.startsWith('0x') && len >= 2) {
    const bytes = Buffer.from(data.slice(2, 2 + 2 * len), 'hex')
    what += ` ${bytes.readUInt16BE(0)}${len > 2 ? ` "${bytes.subarray(2).toString('utf8').slice(0, 30)}"` : ''}`
  } else {
    what += ` ${len} B`
  }
  return what
}

/**
 * The case's wire log after the opening handshake as one line: `→` what the suite sent (raw chops or frames),
 * `←` the testee's frames, `wait` the suite's timers, `kill` its drop timer. The order shows e.g. whether a close
 * came before or after the chop that made the payload invalid (fail-fast, 6.4.x).
 */
function timeline(wirelog) {
  const ev = []
  let handshake = 2 // the first TO (request) and RO (response) are the opening handshake
  let pendingTO = 0
  const flushTO = () => {
    if (pendingTO) ev.push(`→${pendingTO} B`)
    pendingTO = 0
  }
  for (const e of wirelog) {
    if (handshake > 0 && (e[0] === 'TO' || e[0] === 'RO')) {
      handshake--
      continue
    }
    switch (e[0]) {
      case 'TO': // raw chop written; a frame sent whole shows as TF, followed by its TO
        if (ev.at(-1)?.startsWith('→') && ev.at(-1).endsWith('#')) ev[ev.length - 1] = ev.at(-1).slice(0, -1)
        else pendingTO += e[1][0]
        break
      case 'TF':
        flushTO()
        ev.push(`→${frame(e[1], e[2], e[3], e[4])}#`)
        break
      case 'RF':
        flushTO()
        ev.push(`←${frame(e[1], e[2], e[3], e[4])}`)
        break
      case 'CT':
        flushTO()
        ev.push(`wait ${e[1]}s`)
        break
      case 'KL':
        flushTO()
        ev.push(`kill in ${e[1]}s`)
        break
      default:
        break
    }
  }
  flushTO()
  const all = ev.map((x) => x.replace(/#$/, ''))
  return all.length > 14 ? ['…', ...all.slice(-14)].join(' ; ') : all.join(' ; ')
}

/**
 * A few lines telling what went wrong in one case, from its per-case JSON: the suite's verdict texts, what it
 * expected and received, how the connection closed, and the testee's last frames on the wire.
 */
export function diagnose(dir, entry) {
  if (!entry) return ['  no result in index.json: the case never completed (testee crashed or hung?)']
  const file = path.join(dir, entry.reportfile)
  if (!existsSync(file)) return [`  (no per-case report ${entry.reportfile})`]
  const c = JSON.parse(readFileSync(file, 'utf8'))
  const short = (v) => {
    const s = JSON.stringify(v)
    return s.length > 300 ? `${s.slice(0, 300)}…` : s
  }
  const lines = [
    `  ${c.description.split('\n')[0]}`,
    `  result: ${c.result} | close: ${c.resultClose}`,
    `  expected: ${short(c.expected)}  received: ${short(c.received)}`,
    `  expectedClose: ${short(c.expectedClose)}`,
    `  close: local ${c.localCloseCode} remote ${c.remoteCloseCode}` +
      `${c.remoteCloseReason ? ` ${JSON.stringify(c.remoteCloseReason)}` : ''}` +
      ` clean=${c.wasClean}${c.wasNotCleanReason ? ` (${c.wasNotCleanReason})` : ''} droppedByMe=${c.droppedByMe}` +
      `${c.wasCloseHandshakeTimeout ? ' closeHandshakeTimeout' : ''}` +
      `${c.wasServerConnectionDropTimeout ? ' serverDropTimeout' : ''}`,
  ]
  if (c.wirelog?.length) lines.push(`  wire: ${timeline(c.wirelog)}`)
  else lines.push('  (no wire log: the suite does not record one for 9.* cases)')
  return lines
}
