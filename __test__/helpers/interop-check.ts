// The matrix's assertions, the same for every pair: protocol, the payload sequence byte-exact both ways
// (hashes the server recorded on receipt, hashes the client computed on the echo), pings, and the close each side
// reports.
import type { ExecutionContext } from 'ava'
import type { ClientRun } from './interop-clients.js'
import {
  CLIENT_PING,
  CLOSE_CASES,
  SELECTED,
  SERVER_PING,
  expectedMessages,
  type Close,
  type CloseCase,
} from './interop-payloads.js'
import type { Records } from './interop-servers.js'

export interface PairOptions {
  /**
   * What the initiator's API reports for a close it started: WebSocket-Node-style APIs report their own code and
   * reason (`ownClose`), `ws` and Python `websockets` report the responder's reply frame.
   */
  clientInitiatorSees: (c: CloseCase) => Close
  serverInitiatorSees: (c: CloseCase) => Close
  /** The client has a ping API (false for WHATWG clients). */
  clientPings: boolean
  /** The server exposes received pings (WebSocket-Node API, ws). */
  serverSeesPings: boolean
  /** The Origin the server must have seen on every connection. */
  origin: string
  /** The client offers permessage-deflate by default (ws, websockets): declined, and the rest works. */
  offersDeflate?: boolean
}

export async function checkPair(t: ExecutionContext, run: ClientRun, records: Records, o: PairOptions): Promise<void> {
  const expected = expectedMessages()
  for (const c of CLOSE_CASES) {
    const rec = await records.get(c.id)
    if (!o.clientPings && c.by === 'client' && c.code === 1001) {
      // WHATWG close() may only start 1000 or 3000–4999; the client must refuse 1001 and stay usable.
      t.is(run.close1001Refused, 'InvalidAccessError', 'WHATWG close(1001) throws InvalidAccessError')
      t.deepEqual(rec.close, [1000, 'cleanup'])
      continue
    }
    const report = run.reports.get(c.id)
    if (!report) return t.fail(`no client report for ${c.id}`)
    t.is(report.protocol, SELECTED, `${c.id}: client's protocol`)
    t.is(rec.protocol, SELECTED, `${c.id}: server's protocol`)
    t.is(rec.origin, o.origin, `${c.id}: Origin the server saw`)
    if (o.offersDeflate) t.regex(rec.extensionsOffered ?? '', /permessage-deflate/u, `${c.id}: deflate was offered`)
    if (c.id === 'client-1000') {
      t.deepEqual(rec.received, expected, 'client → server: every payload arrived byte-exact')
      t.deepEqual(report.echoes, expected, 'server → client: every echo arrived byte-exact')
      const ping = CLIENT_PING.toString('hex')
      t.is(report.pong, o.clientPings ? ping : null, 'client ping answered by a pong with its payload')
      if (o.serverSeesPings && o.clientPings) t.deepEqual(rec.pings, [ping], 'server saw the client ping')
      t.is(report.serverPing, SERVER_PING.toString('hex'), 'server ping answered by a pong with its payload')
    }
    const initiator = c.by === 'client' ? report.close : rec.close
    const receiver = c.by === 'client' ? rec.close : report.close
    const other = c.by === 'client' ? 'server' : 'client'
    t.deepEqual(receiver, [c.code, c.reason], `${c.id}: the ${other} sees the code and reason`)
    const sees = c.by === 'client' ? o.clientInitiatorSees : o.serverInitiatorSees
    t.deepEqual(initiator, sees(c), `${c.id}: what the initiating ${c.by} reports`)
  }
}

/** WebSocket-Node-style close reporting (ours, the original, W3CWebSocket): the initiator's own code and reason. */
export const ownClose = (c: CloseCase): Close => [c.code, c.reason]
/** Ours and WebSocket-Node answer every close with 1000 and no reason (RFC 6455 §5.5.1 lets the reply differ). */
export const reply1000 = (): Close => [1000, '']
