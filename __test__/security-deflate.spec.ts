/**
 * Attacks of docs/security.md ("What happens on each attack"), permessage-deflate rows: decompression bombs against
 * maxReceivedMessageSize (undici CVE-2026-1526) and bogus window bits (undici CVE-2026-2229), server and client.
 */
import zlib from 'node:zlib'
import test from 'ava'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import { closeOf, connected, failed, outcome } from './helpers/client-events.js'
import { acceptFor, rawServer, response101 } from './helpers/client-raw-server.js'
import { handshake, headersComplete, rawExchange, startServer } from './helpers/server-harness.js'

/** `n` zero bytes compressed as one permessage-deflate message (§7.2.1: the 00 00 ff ff tail removed). */
function bomb(n: number): Buffer {
  const z = zlib.deflateRawSync(Buffer.alloc(n), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
  return z.subarray(0, z.length - 4)
}

/** One frame, FIN + RSV1 + binary, masked with a zero key when `masked`. */
function compressedFrame(payload: Buffer, masked: boolean): Buffer {
  const m = masked ? 0x80 : 0
  const len = payload.length
  const head =
    len < 126
      ? Buffer.from([0xc2, m | len])
      : Buffer.from([0xc2, m | 126, len >> 8, len & 0xff])
  return Buffer.concat([head, masked ? Buffer.alloc(4) : Buffer.alloc(0), payload])
}

const BOMB = bomb(64 * 1024 * 1024)

test('server: undici CVE-2026-1526 — a 64 MiB deflate bomb (~64 KiB sent) → 1009, heap bounded', async (t) => {
  t.true(BOMB.length < 0x10000)
  const { wsServer, port } = await startServer(t, { perMessageDeflate: true })
  const closes: Array<[number, string]> = []
  let messages = 0
  wsServer.on('request', (req) => {
    const conn = req.accept(null, req.origin)
    conn.on('message', () => messages++)
    conn.on('close', (code: number, desc: string) => closes.push([code, desc]))
  })
  const res = await rawExchange(
    t,
    port,
    handshake({ headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } }),
    headersComplete,
  )
  t.regex(res.text, /\r\nSec-WebSocket-Extensions: permessage-deflate/i)
  global.gc?.()
  const before = process.memoryUsage().heapUsed
  let reply = Buffer.alloc(0)
  res.socket.on('data', (d: Buffer) => (reply = Buffer.concat([reply, d])))
  res.socket.write(compressedFrame(BOMB, true))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no close within 10 s')), 10000)
    res.socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  const grown = process.memoryUsage().heapUsed - before
  t.deepEqual(closes, [[1009, 'Maximum message size exceeded.']])
  t.is(messages, 0)
  t.is(reply[0], 0x88)
  t.is(reply.readUInt16BE(2), 1009)
  t.true(grown < 32 * 1024 * 1024, `heap growth ${grown >> 20} MiB`)
})

test('client: undici CVE-2026-1526 — a deflate bomb from the server → 1009, no message', async (t) => {
  const server = await rawServer(t, (req, socket) => {
    socket.write(response101(req, ['Sec-WebSocket-Extensions: permessage-deflate']))
    socket.write(compressedFrame(BOMB, false))
  })
  const c = new WebSocketClient({ perMessageDeflate: true, maxReceivedMessageSize: 1024 * 1024 })
  const o = outcome(c, 5000)
  c.connect(server.url)
  const conn = connected(await o)
  let messages = 0
  conn.on('message', () => messages++)
  t.deepEqual(await closeOf(conn, 10000), [1009, 'Maximum message size exceeded.'])
  t.is(messages, 0)
})

test('client: undici CVE-2026-2229 — bogus server_max_window_bits values → connectFailed, no throw', async (t) => {
  for (const bits of ['7', '16', 'abc', '']) {
    const server = await rawServer(t, (req, socket) => {
      const value = `permessage-deflate; server_max_window_bits${bits === '' ? '' : `=${bits}`}`
      socket.write(response101(req, [`Sec-WebSocket-Extensions: ${value}`]))
    })
    const c = new WebSocketClient({ perMessageDeflate: true })
    const o = outcome(c, 5000)
    c.connect(server.url)
    t.regex(failed(await o).message, /permessage-deflate|extension/i, bits)
  }
})

test('server: undici CVE-2026-2229 — bogus window bits in an offer: declined, upgrade still works', async (t) => {
  const { wsServer, port } = await startServer(t, { perMessageDeflate: true })
  wsServer.on('request', (req) => req.accept(null, req.origin))
  for (const offer of [
    'permessage-deflate; client_max_window_bits=100',
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; server_max_window_bits=abc',
    'permessage-deflate; server_max_window_bits=15; server_max_window_bits=15',
  ]) {
    const req = handshake({ headers: { 'Sec-WebSocket-Extensions': offer } })
    const res = await rawExchange(t, port, req, headersComplete)
    t.true(res.text.startsWith('HTTP/1.1 101'), res.text)
    t.false(/Sec-WebSocket-Extensions/i.test(res.text), res.text)
    res.socket.destroy()
  }
})

test('client: a server answering permessage-deflate we never offered → connectFailed (security S13)', async (t) => {
  const server = await rawServer(t, (req, socket) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Accept: ${acceptFor(req.key)}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
    )
  })
  const c = new WebSocketClient()
  const o = outcome(c, 5000)
  c.connect(server.url)
  t.regex(failed(await o).message, /extension/i)
})
