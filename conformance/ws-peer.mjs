// Reference testee on the `ws` package (published Autobahn score: 510 OK, 4 NON-STRICT on 6.4.1-6.4.4,
// 3 INFORMATIONAL, permessage-deflate on), used to check the harness itself: `npm run conformance -- --impl ws`.
//   node conformance/ws-peer.mjs server [port]        echo server on 127.0.0.1, prints `LISTENING <port>`
//   node conformance/ws-peer.mjs client <url> <agent> drives wstest's fuzzingserver like client-driver.ts
import WebSocket, { WebSocketServer } from 'ws'

// 9.x needs 16 MiB messages and 65,536 fragments; ws@8.23.0 caps fragments at 16,384 by default.
const limits = { maxPayload: 64 * 1024 * 1024, maxFragments: 0 }
// permessage-deflate as ferrosocket's testee uses it for 12.*/13.* (threshold 0: every echo compressed).
const deflate = { threshold: 0 }
const [mode, a, b] = process.argv.slice(2)

if (mode === 'server') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(a ?? 0), perMessageDeflate: deflate, ...limits })
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
    ws.on('error', () => {})
  })
  wss.on('listening', () => console.log(`LISTENING ${wss.address().port} ws`))
  process.on('SIGTERM', () => process.exit(0))
} else if (mode === 'client') {
  const session = (path, echo) =>
    new Promise((resolve) => {
      const ws = new WebSocket(`${a}${path}`, { perMessageDeflate: deflate, ...limits })
      let first
      const timer = setTimeout(() => ws.terminate(), 60_000)
      ws.on('message', (data, isBinary) => {
        first ??= data.toString()
        if (echo) ws.send(data, { binary: isBinary })
      })
      ws.on('error', () => {})
      ws.on('close', (code) => {
        clearTimeout(timer)
        resolve({ code, first })
      })
    })
  const n = Number((await session('/getCaseCount', false)).first)
  console.log(`CASES ${n}`)
  for (let i = 1; i <= n; i++) {
    const r = await session(`/runCase?case=${i}&agent=${encodeURIComponent(b)}`, true)
    console.log(`CASE ${i} close=${r.code}`)
  }
  await session(`/updateReports?agent=${encodeURIComponent(b)}`, false)
  console.log('UPDATED')
} else {
  console.error('usage: ws-peer.mjs server [port] | client <url> <agent>')
  process.exit(2)
}
