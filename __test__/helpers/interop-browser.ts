// The browser end of the interop matrix: a plain-JS copy of the script (interop-payloads.ts, runClient) that runs
// in the page through page.evaluate, using the browser's own WebSocket (binaryType 'arraybuffer') and
// crypto.subtle for the hashes (http://127.0.0.1 is a secure context). Kept as source text so no transpiler
// output or helper import can leak into the page.
import { CLOSE_CASES, PROTOCOLS, SERVER_PING, SIZES, type ClientReport } from './interop-payloads.js'

/** What the page reports: the ClientRun fields plus the negotiated extensions per connection. */
export interface BrowserRun {
  reports: Record<string, ClientReport>
  close1001Refused?: string
  /** `WebSocket.extensions` per connection id (what the 101 negotiated). */
  extensions: Record<string, string>
}

const SCRIPT = String.raw`async (a) => {
  const STEP_MS = 10000
  const enc = new TextEncoder()
  const within = (p, label) => {
    let timer
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(label + ': nothing within ' + STEP_MS + ' ms')), STEP_MS)
    })
    return Promise.race([p, timeout])
      .finally(() => clearTimeout(timer))
  }
  const textPayload = (n) => {
    const units = ['a', 'é', '€', '😀']
    const parts = []
    let left = n
    for (let k = 0; left > 0; k++) {
      const u = units[k % 4]
      const pick = enc.encode(u).length <= left ? u : 'x'
      parts.push(pick)
      left -= enc.encode(pick).length
    }
    return parts.join('')
  }
  const binaryPayload = (n) => {
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = (i * 131 + n + 7) % 251
    return b
  }
  const hex = (bytes) => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('')
  const sha256 = async (bytes) => hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)))
  const open = (id) => within(new Promise((resolve, reject) => {
    const ws = new WebSocket('ws://127.0.0.1:' + a.port + '/' + id, a.protocols)
    ws.binaryType = 'arraybuffer'
    const items = []
    const waiters = []
    ws.onmessage = (e) => {
      const m = typeof e.data === 'string'
        ? { kind: 'text', data: enc.encode(e.data) }
        : { kind: 'binary', data: new Uint8Array(e.data) }
      const w = waiters.shift()
      if (w) w(m)
      else items.push(m)
    }
    const next = () =>
      items.length > 0 ? Promise.resolve(items.shift()) : within(new Promise((r) => waiters.push(r)), 'next message')
    const closed = new Promise((r) => { ws.onclose = (e) => r([e.code, e.reason]) })
    ws.onerror = () => reject(new Error('WebSocket error on ' + id))
    ws.onopen = () => resolve({ ws, next, closed })
  }), 'open ' + id)

  const run = { reports: {}, extensions: {} }
  await Promise.all(a.cases.map(async (c) => {
    const { ws, next, closed } = await open(c.id)
    run.extensions[c.id] = ws.extensions
    if (c.by === 'client' && c.code === 1001) {
      try {
        ws.close(1001, c.reason)
        run.close1001Refused = 'no error'
      } catch (e) {
        run.close1001Refused = e.name
      }
      ws.close(1000, 'cleanup')
      await within(closed, 'cleanup close')
      return
    }
    const report = { protocol: ws.protocol, echoes: [], pong: null, serverPing: null, close: [0, ''] }
    if (c.id === 'client-1000') {
      for (const size of a.sizes) {
        for (const payload of [textPayload(size), binaryPayload(size)]) {
          ws.send(payload)
          const m = await next()
          report.echoes.push({ kind: m.kind, size: m.data.length, sha256: await sha256(m.data) })
        }
      }
      ws.send('cmd:ping:' + a.serverPing)
      const ok = new TextDecoder().decode((await next()).data)
      if (!ok.startsWith('pong-ok:')) throw new Error('unexpected reply ' + ok)
      report.serverPing = ok.slice('pong-ok:'.length)
    }
    if (c.by === 'client') ws.close(c.code, c.reason)
    else ws.send('cmd:close:' + c.code + ':' + c.reason)
    report.close = await within(closed, c.id + ' close')
    run.reports[c.id] = report
  }))
  return run
}`

/** The expression page.evaluate runs: the script applied to this server's port and the shared constants. */
export function browserScript(port: number): string {
  const args = { port, protocols: PROTOCOLS, sizes: SIZES, cases: CLOSE_CASES, serverPing: SERVER_PING.toString('hex') }
  return `(${SCRIPT})(${JSON.stringify(args)})`
}
