/**
 * Autobahn testee for the client role: drives `WebSocketClient` against `wstest -m fuzzingserver`.
 * 1. `/getCaseCount` → N (first text message); 2. for i in 1..N, `/runCase?case=i&agent=A`, echoing every
 * message back with the same type until the server closes; 3. `/updateReports?agent=A` writes the reports.
 * Every connection is bounded by a timeout, so a case that hangs is recorded (by wstest) and the run goes on.
 * Usage: node --import @oxc-node/core/register conformance/client-driver.ts <ws://127.0.0.1:port> <agent>
 *        [--timeout-ms N]
 * Backend: FERROSOCKET_BACKEND; library: CONFORMANCE_IMPL (see impl.ts).
 */
import type { WebSocketConnection } from '../ts/index.js'
import { AUTOBAHN_LIMITS, lib, runningOn } from './impl.js'

const [base, agent] = process.argv.slice(2)
if (!base || !agent) {
  console.error('usage: client-driver.ts <ws://127.0.0.1:port> <agent> [--timeout-ms N]')
  process.exit(2)
}
const timeoutIdx = process.argv.indexOf('--timeout-ms')
const caseTimeoutMs = timeoutIdx > 0 ? Number(process.argv[timeoutIdx + 1]) : 60_000

interface Outcome {
  closeCode?: number
  failure?: string
  timedOut: boolean
  firstText?: string
}

/** Opens one connection, optionally echoing, and resolves when it closes (or fails, or times out). */
function session(path: string, echo: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const client = new lib.client({ ...AUTOBAHN_LIMITS })
    let conn: WebSocketConnection | undefined
    let done = false
    const out: Outcome = { timedOut: false }
    const finish = (): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(out)
    }
    const timer = setTimeout(() => {
      out.timedOut = true
      if (conn) conn.drop(1000, 'client driver timeout', true)
      else client.abort()
      finish()
    }, caseTimeoutMs)
    client.on('connectFailed', (err) => {
      out.failure = `connectFailed: ${err.message}`
      finish()
    })
    client.on('connect', (connection) => {
      conn = connection
      connection.on('message', (message) => {
        if (message.type === 'utf8') {
          out.firstText ??= message.utf8Data
          if (echo) connection.sendUTF(message.utf8Data)
        } else if (echo) {
          connection.sendBytes(message.binaryData)
        }
      })
      connection.on('error', (err) => {
        out.failure ??= `error: ${err.message}`
      })
      connection.on('close', (code) => {
        out.closeCode = code
        finish()
      })
    })
    client.connect(`${base}${path}`)
  })
}

const enc = encodeURIComponent
console.log(`BACKEND ${runningOn}`)
const count = await session('/getCaseCount', false)
const n = Number(count.firstText)
if (!Number.isInteger(n) || n < 0) {
  console.error(`getCaseCount failed: ${JSON.stringify(count)}`)
  process.exit(1)
}
console.log(`CASES ${n}`)
let timeouts = 0
for (let i = 1; i <= n; i++) {
  const r = await session(`/runCase?case=${i}&agent=${enc(agent)}`, true)
  if (r.timedOut) timeouts++
  // One line per case, so the harness can show progress and name the case a crash happened in.
  console.log(`CASE ${i} close=${r.closeCode ?? '-'}${r.timedOut ? ' TIMEOUT' : ''}${r.failure ? ` ${r.failure}` : ''}`)
}
const upd = await session(`/updateReports?agent=${enc(agent)}`, false)
console.log(`UPDATED close=${upd.closeCode ?? '-'} timeouts=${timeouts}`)
process.exit(upd.failure && upd.closeCode === undefined ? 1 : 0)
