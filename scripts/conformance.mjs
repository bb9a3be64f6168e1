// `npm run conformance`: the real Autobahn TestSuite (wstest 25.10.1, installed by scripts/autobahn-install.sh)
// against ferrosocket's server (fuzzingclient mode) and client (fuzzingserver mode), on the native backend and on
// the TS twin. Prints a summary per group, compares every case with conformance/expected-results.json and exits
// non-zero if any case does worse than expected (or a testee crashed, or a run did not finish).
//
//   npm run conformance                      all 517 cases, both roles, both backends
//   npm run conformance:ci                   groups 1-10 + one case per 12/13 sub-group (CI_CASES), 3-minute budget
//   options: --role server|client|all  --backend native|ts|all  --cases '1.*,6.4.*'
//            --impl ferrosocket|websocket|ws (websocket = WebSocket-Node 1.0.35, ws = ws@8.23.0: harness checks)
//
// Reports land in reports/{servers,clients}/<agent>/ (gitignored); a markdown summary in reports/conformance.md.
// Every server binds 127.0.0.1; every child process is bounded by a timeout and killed on exit.
import { spawn, spawnSync } from 'node:child_process'
import { appendFileSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import {
  COLUMNS,
  compareIds,
  diagnose,
  judge,
  loadExpected,
  loadIndex,
  matchesAny,
} from '../conformance/report.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const confDir = path.join(root, 'conformance')
const reportsRoot = path.join(root, 'reports')

// What CI runs. Groups 1-10 (301 cases) take ~15 s per role/backend here. Groups 12/13 (216 permessage-deflate
// cases) take ~800 s per role/backend: 12.* sends 1,000 compressed messages per case and wstest (Python 2.7)
// compresses and checks every one of them itself. Measured with 12.1.* (18 cases) on the server role: ferrosocket
// 27.5 s, ws@8.23.0 with perMessageDeflate 26.3 s, so the time is the suite's, not the testee's. Four runs of
// 12/13 would take ~55 minutes, so CI runs 1-10 in full plus the first case of every 12/13 sub-group (one case per
// offer/parameter combination of 13.*, one per payload size family of 12.*); `npm run conformance` runs all 517.
const CI_CASES = [
  '1.*', '2.*', '3.*', '4.*', '5.*', '6.*', '7.*', '9.*', '10.*',
  '12.1.1', '12.2.1', '12.3.1', '12.4.1', '12.5.1',
  '13.1.1', '13.2.1', '13.3.1', '13.4.1', '13.5.1', '13.6.1', '13.7.1',
]
// A run that hangs is killed after the budget, so a stuck testee cannot eat CI's 90 minutes.
const RUN_BUDGET_MS = { ci: 180_000, full: 1_800_000 }

const { values: opts } = parseArgs({
  options: {
    ci: { type: 'boolean', default: false },
    role: { type: 'string', default: 'all' },
    backend: { type: 'string', default: 'all' },
    impl: { type: 'string', default: 'ferrosocket' },
    cases: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
})
const cases = opts.cases ? opts.cases.split(',').map((s) => s.trim()) : opts.ci ? CI_CASES : ['*']
const roles = opts.role === 'all' ? ['server', 'client'] : [opts.role]
const backends = opts.impl !== 'ferrosocket' ? [opts.impl] : opts.backend === 'all' ? ['native', 'ts'] : [opts.backend]
for (const r of roles) if (!['server', 'client'].includes(r)) usage(`unknown role ${r}`)
if (!['ferrosocket', 'websocket', 'ws'].includes(opts.impl)) usage(`unknown impl ${opts.impl}`)
for (const b of backends) if (!['native', 'ts', 'websocket', 'ws'].includes(b)) usage(`unknown backend ${b}`)

function usage(msg) {
  console.error(`conformance: ${msg}\nusage: node scripts/conformance.mjs [--ci] [--role server|client|all]` +
    ` [--backend native|ts|all] [--cases '1.*,2.*'] [--impl ferrosocket|websocket|ws]`)
  process.exit(2)
}

// --- child processes: each in its own process group, all killed when we exit -----------------------------------
const children = new Set()
function killGroup(child, signal = 'SIGKILL') {
  try {
    process.kill(-child.pid, signal)
  } catch {}
}
process.on('exit', () => {
  for (const c of children) killGroup(c)
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

function start(cmd, args, { env = {}, log, cwd = root } = {}) {
  const fd = openSync(log, 'w')
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', fd],
    detached: true,
  })
  closeSync(fd)
  children.add(child)
  child.output = ''
  const outFile = log.replace(/\.log$/, '.out')
  writeFileSync(outFile, '')
  child.stdout.on('data', (d) => {
    child.output += d
    appendFileSync(outFile, d)
  })
  child.done = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  child.done.then(() => children.delete(child))
  return child
}

/** Waits for the child to exit, killing it after `ms`. */
async function finish(child, ms) {
  let timedOut = false
  const t = setTimeout(() => {
    timedOut = true
    killGroup(child)
  }, ms)
  const r = await child.done
  clearTimeout(t)
  return { ...r, timedOut }
}

/** SIGTERM, then SIGKILL after 3 s. */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return child.done
  killGroup(child, 'SIGTERM')
  return finish(child, 3000)
}

function waitForLine(child, re, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => done(new Error(`no ${re} within ${ms} ms`)), ms)
    const check = () => {
      const m = child.output.match(re)
      if (m) done(null, m)
    }
    const onExit = () => done(new Error(`exited before ${re}`))
    const done = (err, m) => {
      clearTimeout(t)
      child.stdout.off('data', check)
      child.off('exit', onExit)
      err ? reject(err) : resolve(m)
    }
    child.stdout.on('data', check)
    child.on('exit', onExit)
    check()
  })
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function waitForPort(port, ms, child) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('wstest exited before listening')
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.setTimeout(1000, () => s.destroy())
      s.on('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => {})
      s.on('close', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`wstest did not listen on ${port} within ${ms} ms`)
}

// --- the runs ---------------------------------------------------------------------------------------------------
const NODE_TS = ['--import', '@oxc-node/core/register']
const agentOf = (backend) =>
  backend === 'websocket' ? 'websocket-1.0.35' : backend === 'ws' ? 'ws-8.23.0' : `ferrosocket-${backend}`

function testeeEnv(backend) {
  if (backend === 'websocket') return { CONFORMANCE_IMPL: 'websocket' }
  if (backend === 'ws') return {}
  return { FERROSOCKET_BACKEND: backend, CONFORMANCE_IMPL: 'ferrosocket' }
}

function installWstest() {
  const r = spawnSync('bash', [path.join(root, 'scripts', 'autobahn-install.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  if (r.status !== 0) {
    console.error('conformance: scripts/autobahn-install.sh failed; cannot run the Autobahn TestSuite')
    process.exit(1)
  }
  const wstest = r.stdout.trim().split('\n').pop()
  return path.join(path.dirname(wstest), 'python')
}

function writeSpec(template, fill, file) {
  const spec = JSON.parse(readFileSync(path.join(confDir, template), 'utf8'))
  Object.assign(spec, fill)
  writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`)
  return file
}

/** Server role: wstest -m fuzzingclient against our echo server. */
async function runServer(python, backend, budgetMs) {
  const agent = agentOf(backend)
  const outdir = path.join(reportsRoot, 'servers', agent)
  rmSync(outdir, { recursive: true, force: true })
  mkdirSync(outdir, { recursive: true })
  const notes = []
  const testee =
    backend === 'ws'
      ? start('node', [path.join(confDir, 'ws-peer.mjs'), 'server', '0'], { log: path.join(outdir, 'testee.log') })
      : start('node', [...NODE_TS, path.join(confDir, 'echo-server.ts'), '0'], {
          env: testeeEnv(backend),
          log: path.join(outdir, 'testee.log'),
        })
  let port
  try {
    const m = await waitForLine(testee, /LISTENING (\d+) (\S+)/, 60_000)
    port = Number(m[1])
    // A testee that silently fell back to the other backend would make this column a lie.
    if (m[2] !== backend) throw new Error(`it runs on ${m[2]}, not ${backend}`)
  } catch (e) {
    await stop(testee)
    return { agent, outdir, results: {}, notes: [`echo server did not start: ${e.message} (see ${outdir}/testee.log)`] }
  }
  const spec = writeSpec(
    'fuzzingclient.json',
    {
      outdir,
      cases,
      servers: [{ agent, url: `ws://127.0.0.1:${port}`, options: { version: 18 } }],
    },
    path.join(outdir, 'fuzzingclient.json'),
  )
  const wstest = start(python, ['-u', path.join(confDir, 'wstest-loopback.py'), '-m', 'fuzzingclient', '-s', spec], {
    log: path.join(outdir, 'wstest.log'),
    cwd: outdir,
  })
  const r = await finish(wstest, budgetMs)
  if (r.timedOut) notes.push(`wstest fuzzingclient killed after ${budgetMs / 1000} s`)
  else if (r.code !== 0) notes.push(`wstest fuzzingclient exited ${r.code ?? r.signal} (see ${outdir}/wstest.log)`)
  if (testee.exitCode !== null || testee.signalCode !== null)
    notes.push(
      `echo server DIED during the run (exit ${testee.exitCode ?? testee.signalCode}); see ${outdir}/testee.log`,
    )
  await stop(testee)
  return { agent, outdir, results: loadIndex(outdir, agent), notes }
}

/** Client role: our client driven through every case of wstest -m fuzzingserver. */
async function runClient(python, backend, budgetMs) {
  const agent = agentOf(backend)
  const outdir = path.join(reportsRoot, 'clients', agent)
  rmSync(outdir, { recursive: true, force: true })
  mkdirSync(outdir, { recursive: true })
  const notes = []
  const port = await freePort()
  const url = `ws://127.0.0.1:${port}`
  const spec = writeSpec('fuzzingserver.json', { url, outdir, cases }, path.join(outdir, 'fuzzingserver.json'))
  // -u 0: no embedded web UI (it would listen on :8080).
  const wstestArgs = ['-u', path.join(confDir, 'wstest-loopback.py'), '-m', 'fuzzingserver', '-s', spec, '-u', '0']
  const wstest = start(python, wstestArgs, { log: path.join(outdir, 'wstest.log'), cwd: outdir })
  try {
    await waitForPort(port, 30_000, wstest)
  } catch (e) {
    await stop(wstest)
    return { agent, outdir, results: {}, notes: [`fuzzingserver did not start: ${e.message}`] }
  }
  const driver =
    backend === 'ws'
      ? start('node', [path.join(confDir, 'ws-peer.mjs'), 'client', url, agent], {
          log: path.join(outdir, 'driver.log'),
        })
      : start('node', [...NODE_TS, path.join(confDir, 'client-driver.ts'), url, agent], {
          env: testeeEnv(backend),
          log: path.join(outdir, 'driver.log'),
        })
  const r = await finish(driver, budgetMs)
  const on = driver.output.match(/^BACKEND (\S+)/m)?.[1]
  if (on && on !== backend) notes.push(`client driver ran on ${on}, not ${backend}`)
  if (r.timedOut || r.code !== 0 || !/UPDATED/.test(driver.output)) {
    const last = driver.output.trim().split('\n').pop()
    notes.push(
      `client driver ${r.timedOut ? `killed after ${budgetMs / 1000} s` : `exited ${r.code ?? r.signal}`}` +
        ` before updateReports (last line: ${last}); see ${outdir}/driver.log`,
    )
    await updateReports(url, agent) // keep the cases that did run
  }
  await stop(wstest)
  return { agent, outdir, results: loadIndex(outdir, agent), notes }
}

/** Asks the fuzzingserver to write its reports, with the `ws` package (used when our own driver did not get there). */
async function updateReports(url, agent) {
  const { default: WebSocket } = await import('ws')
  await new Promise((resolve) => {
    const ws = new WebSocket(`${url}/updateReports?agent=${encodeURIComponent(agent)}`)
    const t = setTimeout(() => ws.terminate(), 30_000)
    ws.on('error', () => {})
    ws.on('close', () => {
      clearTimeout(t)
      resolve()
    })
  })
}

// --- main -------------------------------------------------------------------------------------------------------
const expected = loadExpected(path.join(confDir, 'expected-results.json'))
const ids = Object.keys(expected)
  .filter((id) => matchesAny(id, cases))
  .sort(compareIds)
if (ids.length === 0) usage(`no case matches ${cases.join(',')}`)
const python = installWstest()
mkdirSync(reportsRoot, { recursive: true })
// Budget per run: the full suite takes ~15-30 s; anything far beyond means a testee hangs.
const budgetMs = opts.ci ? RUN_BUDGET_MS.ci : RUN_BUDGET_MS.full

console.log(
  `Autobahn TestSuite 25.10.1: ${ids.length} cases (${cases.join(',')}),` +
    ` roles ${roles.join('+')}, ${backends.join('+')}`,
)
const runs = []
for (const role of roles) {
  for (const backend of backends) {
    const t0 = Date.now()
    process.stdout.write(`  ${role}/${backend} … `)
    const run = await (role === 'server' ? runServer : runClient)(python, backend, budgetMs)
    run.role = role
    run.backend = backend
    run.wallMs = Date.now() - t0
    run.verdict = judge(run.results, expected, ids)
    runs.push(run)
    const v = run.verdict
    console.log(
      `${(run.wallMs / 1000).toFixed(1)} s, ${Object.keys(run.results).length} reported,` +
        ` ${v.worse.length} worse than expected${run.notes.length ? ` — ${run.notes.join('; ')}` : ''}`,
    )
  }
}

// Summary: one row per group, one column per role/backend; each cell counts the outcome columns that occur.
const groups = [...new Set(ids.map((id) => id.split('.')[0]))].sort((a, b) => Number(a) - Number(b))
const abbrev = {
  OK: 'OK',
  'NON-STRICT': 'NON-STRICT',
  INFORMATIONAL: 'INFO',
  UNIMPLEMENTED: 'UNIMPL',
  FAILED: 'FAILED',
}
const cell = (counts) =>
  COLUMNS.filter((c) => counts?.[c])
    .map((c) => `${counts[c]} ${abbrev[c]}`)
    .join(', ') || '-'
const header = ['group', ...runs.map((r) => `${r.role} ${r.backend}`)]
const rows = groups.map((g) => [
  `${g} (${ids.filter((id) => id.split('.')[0] === g).length})`,
  ...runs.map((r) => cell(r.verdict.groups.get(g))),
])
const totals = (r) => {
  const t = Object.fromEntries(COLUMNS.map((c) => [c, 0]))
  for (const counts of r.verdict.groups.values()) for (const c of COLUMNS) t[c] += counts[c]
  return t
}
rows.push([`all (${ids.length})`, ...runs.map((r) => cell(totals(r)))])
rows.push(['wall time', ...runs.map((r) => `${(r.wallMs / 1000).toFixed(1)} s`)])
const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n')

const lines = [`## Autobahn TestSuite 25.10.1 (${ids.length} cases: ${cases.join(', ')})`, '', table, '']
let failed = false
for (const r of runs) {
  const { worse, better } = r.verdict
  if (r.notes.length) failed = true
  for (const n of r.notes) lines.push(`ERROR ${r.role}/${r.backend}: ${n}`)
  if (worse.length) {
    failed = true
    lines.push(
      `### ${r.role}/${r.backend}: ${worse.length} case(s) worse than expected` +
        ` (reports in ${path.relative(root, r.outdir)})`,
    )
    for (const w of worse) {
      const e = w.entry
      lines.push(
        `- ${w.id}: ${w.outcome}` +
          `${e ? ` (behavior ${e.behavior}, close ${e.behaviorClose}, remote code ${e.remoteCloseCode})` : ''}` +
          `, expected ${w.want}`,
      )
      lines.push(...diagnose(r.outdir, e))
    }
  }
  if (better.length)
    lines.push(`${r.role}/${r.backend}: better than expected (tighten expected-results.json): ` +
      better.map((b) => `${b.id} ${b.outcome}`).join(', '))
}
const text = lines.join('\n')
writeFileSync(path.join(reportsRoot, 'conformance.md'), `${text}\n`)
// The console gets the table and the first failures in full; reports/conformance.md has all of them.
const MAX_LINES = opts.verbose ? Infinity : 200
const out = text.split('\n')
console.log(`\n${out.slice(0, MAX_LINES).join('\n')}`)
if (out.length > MAX_LINES) console.log(`… ${out.length - MAX_LINES} more lines in reports/conformance.md`)
const worseCount = runs.reduce((n, r) => n + r.verdict.worse.length, 0)
console.log(failed ? '\nconformance: FAILED' : '\nconformance: all cases as expected')
// Plain closing line for CI: one per case and role/backend; a run that did not finish counts as failed.
const broken = runs.filter((r) => r.notes.length && r.verdict.worse.length === 0).length
console.log(`${runs.length * ids.length - worseCount} passed, ${worseCount + broken} failed`)
process.exit(failed ? 1 : 0)
