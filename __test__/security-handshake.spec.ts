/**
 * Attacks of docs/security.md ("What happens on each attack"), handshake rows not already covered by
 * WebSocketServer*.spec.ts, WebSocketRequest-parsers.spec.ts and WebSocketClient.spec.ts: slowloris against
 * Node's header timeouts, parsers linear on hostile headers, CR/LF through an accepted protocol, and a malicious
 * server's slow or oversized 101.
 */
import net from 'node:net'
import test from 'ava'
import { parseCookies } from '../ts/handshake/cookies.js'
import { parseExtensions } from '../ts/handshake/extensions.js'
import { parseProtocols } from '../ts/handshake/protocols.js'
import { splitList } from '../ts/handshake/split.js'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import { failed, outcome } from './helpers/client-events.js'
import { acceptFor, rawServer } from './helpers/client-raw-server.js'
import { handshake, headersComplete, maskedFrame, rawExchange, startServer } from './helpers/server-harness.js'

/** Node's own header deadlines, with a fast checking interval so a test sees them fire. */
const SLOW_HTTP = { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 }

test('slowloris: headers trickled one byte per 40 ms are cut off by Node headersTimeout, no request', async (t) => {
  const { wsServer, port } = await startServer(t, {}, SLOW_HTTP)
  let requests = 0
  wsServer.on('request', () => requests++)
  const socket = net.connect(port, '127.0.0.1')
  t.teardown(() => {
    socket.destroy()
  })
  socket.on('error', () => {})
  const text = handshake({ headers: { 'X-Slow': 'a'.repeat(200) } })
  let closed = false
  socket.on('close', () => (closed = true))
  let received = ''
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')))
  const started = Date.now()
  for (let i = 0; i < text.length - 4 && !closed && Date.now() - started < 5000; i++) {
    socket.write(text[i]!)
    await new Promise((r) => setTimeout(r, 40))
  }
  t.true(closed, 'the trickling socket was closed')
  t.true(Date.now() - started < 5000)
  t.is(requests, 0)
  t.false(received.includes('101'))
})

test('slowloris: Node requestTimeout does not cut an accepted WebSocket (the upgrade leaves HTTP)', async (t) => {
  const { wsServer, port } = await startServer(t, {}, SLOW_HTTP)
  wsServer.on('request', (req) => {
    const conn = req.accept(null, req.origin)
    conn.on('message', (m) => {
      if (m.type === 'utf8') conn.sendUTF(m.utf8Data)
    })
  })
  const res = await rawExchange(t, port, handshake(), headersComplete)
  t.true(res.text.startsWith('HTTP/1.1 101'))
  await new Promise((r) => setTimeout(r, 1000))
  const echo = new Promise<Buffer>((resolve) => res.socket.once('data', resolve))
  res.socket.write(maskedFrame(0x81, Buffer.from('alive')))
  t.is((await echo).toString('hex'), '8105' + Buffer.from('alive').toString('hex'))
})

test('ReDoS (ws CVE-2021-32640 class): 1 MiB of spaces/commas in protocol, extensions, cookie → linear', (t) => {
  const spaces = ' '.repeat(1 << 20)
  const commas = ','.repeat(1 << 20)
  const started = process.hrtime.bigint()
  const protocols = parseProtocols(`a${spaces}b`).requested
  t.true(protocols.length === 1 && protocols[0]!.length === spaces.length + 2)
  t.is(parseProtocols(commas).requested.length, commas.length + 1)
  const ext = parseExtensions(`x${spaces};${spaces}y=1${spaces}`)
  t.true(ext.length === 1 && ext[0]!.name.trim() === 'x' && ext[0]!.params[0]?.name === 'y')
  t.is(parseExtensions(commas).length, commas.length + 1)
  t.deepEqual(parseCookies(`a=1;${spaces}b=2`), [
    { name: 'a', value: '1' },
    { name: 'b', value: '2' },
  ])
  t.deepEqual(parseCookies(`a=${spaces}`), [{ name: 'a', value: '' }])
  t.is(splitList(`1.2.3.4${spaces},${spaces}5.6.7.8`, ',').length, 2)
  // Quadratic scanning of 1 MiB is ~10^12 steps (minutes); linear is milliseconds. 5 s is generous for a busy box.
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  t.true(ms < 5000, `${ms.toFixed(0)} ms`)
})

test('undici CVE-2026-1527 class: accept() with a CR/LF protocol never injects a header line', async (t) => {
  const { wsServer, port } = await startServer(t)
  const errors: unknown[] = []
  wsServer.on('request', (req) => {
    try {
      req.accept('chat\r\nX-Injected: yes', req.origin)
    } catch (e) {
      errors.push(e)
    }
  })
  const res = await rawExchange(t, port, handshake({ headers: { 'Sec-WebSocket-Protocol': 'chat' } }), headersComplete)
  t.is(errors.length, 1)
  t.false(/\r\nX-Injected/i.test(res.text), res.text)
  t.false(res.text.startsWith('HTTP/1.1 101'))
})

test('malicious server: a 101 dribbled one byte per 30 ms → connectFailed at handshakeTimeout', async (t) => {
  let stop = false
  t.teardown(() => {
    stop = true
  })
  const server = await rawServer(t, (req, socket) => {
    const all =
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `X-Pad: ${'p'.repeat(200)}\r\nSec-WebSocket-Accept: ${acceptFor(req.key)}\r\n\r\n`
    void (async () => {
      for (let i = 0; i < all.length && !stop && !socket.destroyed; i++) {
        socket.write(all[i]!)
        await new Promise((r) => setTimeout(r, 30))
      }
    })()
  })
  const c = new WebSocketClient({ handshakeTimeout: 400 })
  const o = outcome(c, 4000)
  c.connect(server.url)
  t.is(failed(await o).message, 'WebSocket opening handshake timed out after 400 ms')
})

test('malicious server: a 101 with a 64 KiB header → connectFailed, no throw', async (t) => {
  const server = await rawServer(t, (req, socket) => {
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `X-Bomb: ${'b'.repeat(64 * 1024)}\r\nSec-WebSocket-Accept: ${acceptFor(req.key)}\r\n\r\n`,
    )
  })
  const c = new WebSocketClient()
  const o = outcome(c, 4000)
  c.connect(server.url)
  t.truthy(failed(await o).message)
})

test('header bomb: one 20 KiB header → 431 from Node, no request, the server keeps serving', async (t) => {
  const { wsServer, port } = await startServer(t)
  let requests = 0
  wsServer.on('request', (req) => {
    requests++
    req.accept(null, req.origin)
  })
  const bombed = await rawExchange(t, port, handshake({ headers: { 'X-Bomb': 'b'.repeat(20 * 1024) } }))
  t.regex(bombed.text, /^HTTP\/1\.1 431 /)
  t.is(requests, 0)
  const ok = await rawExchange(t, port, handshake(), headersComplete)
  t.true(ok.text.startsWith('HTTP/1.1 101'))
  t.is(requests, 1)
})
