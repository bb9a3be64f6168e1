/**
 * The text message fast paths (issue 7): `utf8Data` decoded through `codec.decodeUtf8`, and `sendUTF` of the string
 * being delivered going out as the bytes it arrived as, without encoding. What must hold: peers get exactly the
 * text they would get from an encode (plain, fragmented, permessage-deflate, client role, broadcast), a different
 * string of the same length is never mistaken for the delivered one, the reuse ends with the delivery (nested
 * deliveries restore the outer one), and the fast path really skips the encoder.
 */
import { EventEmitter } from 'node:events'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import WebSocket, { WebSocketServer as WsServer } from 'ws'
import { emitText, encodeToScratch, recentUtf8, SCRATCH_MIN, utf8Bytes } from '../ts/connection/text.js'
import type { WebSocketConnection } from '../ts/WebSocketConnection.js'
import type { IServerConfig } from '../ts/WebSocketServer.js'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import { within } from './helpers/conn-pair.js'
import { startServer } from './helpers/server-harness.js'

const UNIT = 'echo héllo wörld Ωμέγα привет 漢字テキスト 😀🚀 '
/** Mixed-script text of about `n` UTF-8 bytes. */
const mixed = (n: number): string => UNIT.repeat(Math.ceil(n / Buffer.byteLength(UNIT)))

/** A server whose connections run `onText(connection, text)` for each text message; a ws client connected to it. */
async function pair(
  t: ExecutionContext,
  onText: (c: WebSocketConnection, text: string) => void,
  config: Partial<IServerConfig> = {},
  wsOptions: WebSocket.ClientOptions = {},
): Promise<{ ws: WebSocket; replies: string[] }> {
  const { wsServer, port } = await startServer(t, { autoAcceptConnections: true, maxReceivedFrameSize: 1 << 20, ...config })
  wsServer.on('connect', (c) => c.on('message', (m) => m.type === 'utf8' && onText(c, m.utf8Data)))
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { ...wsOptions, maxPayload: 0 })
  t.teardown(() => ws.terminate())
  const replies: string[] = []
  ws.on('message', (data, isBinary) => {
    if (!isBinary) replies.push(data.toString())
  })
  await within(new Promise((r, j) => ws.once('open', r).once('error', j)), 3000, 'open')
  return { ws, replies }
}

async function replies(ws: WebSocket, got: string[], send: string[], expect: number): Promise<void> {
  for (const s of send) ws.send(s)
  await within(
    (async () => {
      while (got.length < expect) await new Promise((r) => setTimeout(r, 5))
    })(),
    5000,
    `${expect} replies`,
  )
}

test('echo of delivered strings: every size around the reuse and no-copy cuts, byte-exact', async (t) => {
  const { ws, replies: got } = await pair(t, (c, text) => c.sendUTF(text))
  const sizes = [0, 1, 1023, 1024, 1025, 4095, 4096, 4097, 8192 * 3 + 1, 65536, 200_000]
  const sent = sizes.map((n) => mixed(n).slice(0, n))
  await replies(ws, got, sent, sent.length)
  t.deepEqual(got, sent)
})

test('a different string of the same length is not mistaken for the delivered one', async (t) => {
  // The listener sends the delivered text with its first and last characters swapped for others of equal width.
  const flip = (s: string): string => 'Z' + s.slice(1, -1) + 'Q'
  const { ws, replies: got } = await pair(t, (c, text) => c.sendUTF(flip(text)))
  const sent = [mixed(2000), 'a'.repeat(5000), mixed(70_000) + 'x']
  await replies(ws, got, sent, sent.length)
  t.deepEqual(got, sent.map(flip))
})

test('sending after the delivery (next tick) and sending the delivered text twice both encode correctly', async (t) => {
  const { ws, replies: got } = await pair(t, (c, text) => {
    c.sendUTF(text)
    c.sendUTF(text)
    setImmediate(() => c.sendUTF(text))
  })
  const text = mixed(9000)
  await replies(ws, got, [text], 3)
  t.deepEqual(got, [text, text, text])
})

test('fragmented output and permessage-deflate carry the delivered text exactly', async (t) => {
  const text = mixed(20_000)
  const frag = await pair(t, (c, s) => c.sendUTF(s), { fragmentationThreshold: 1000 })
  await replies(frag.ws, frag.replies, [text], 1)
  t.is(frag.replies[0], text, 'fragmented')
  const pmd = await pair(t, (c, s) => c.sendUTF(s), { perMessageDeflate: { threshold: 0 } }, { perMessageDeflate: true })
  t.is(pmd.ws.extensions, 'permessage-deflate')
  await replies(pmd.ws, pmd.replies, [text, text], 2)
  t.deepEqual(pmd.replies, [text, text], 'deflate')
})

test('broadcastUTF of the delivered text reaches every connection byte-exact', async (t) => {
  const { wsServer, port } = await startServer(t, { autoAcceptConnections: true, maxReceivedFrameSize: 1 << 20 })
  wsServer.on('connect', (c) => c.on('message', (m) => m.type === 'utf8' && wsServer.broadcastUTF(m.utf8Data)))
  const clients = await Promise.all(
    [0, 1, 2].map(async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
      t.teardown(() => ws.terminate())
      const got: string[] = []
      ws.on('message', (d) => got.push(d.toString()))
      await within(new Promise((r, j) => ws.once('open', r).once('error', j)), 3000, 'open')
      return { ws, got }
    }),
  )
  const text = mixed(66_000)
  clients[0]!.ws.send(text)
  await within(
    (async () => {
      while (clients.some((c) => c.got.length < 1)) await new Promise((r) => setTimeout(r, 5))
    })(),
    5000,
    'broadcast',
  )
  for (const c of clients) t.deepEqual(c.got, [text])
})

test('client role: echoing the delivered text is masked correctly (ws server checks the bytes)', async (t) => {
  const wss = new WsServer({ host: '127.0.0.1', port: 0 })
  t.teardown(() => new Promise<void>((r) => wss.close(() => r())))
  await within(new Promise((r) => wss.once('listening', r)), 3000, 'listening')
  const text = mixed(30_000)
  const back = new Promise<string>((resolve) =>
    wss.on('connection', (peer) => {
      peer.on('message', (d) => resolve(d.toString()))
      peer.send(text)
    }),
  )
  const client = new WebSocketClient()
  client.on('connect', (c) => c.on('message', (m) => m.type === 'utf8' && c.sendUTF(m.utf8Data)))
  client.connect(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`)
  t.is(await within(back, 5000, 'echo from client'), text)
  for (const c of wss.clients) c.terminate()
})

test('emitText: the delivered bytes are offered only during the emit, nested deliveries restore the outer one', (t) => {
  const e = new EventEmitter()
  const outer = mixed(3000)
  const outerBytes = Buffer.from(outer)
  const inner = mixed(2000)
  const innerBytes = Buffer.from(inner)
  const seen: Array<Buffer | null> = []
  e.on('message', (m: { utf8Data: string }) => {
    if (m.utf8Data === outer) {
      seen.push(recentUtf8(outer))
      emitText(e, { utf8Data: inner }, inner, innerBytes)
      seen.push(recentUtf8(outer), recentUtf8(inner))
    } else {
      seen.push(recentUtf8(inner), recentUtf8(outer))
    }
  })
  emitText(e, { utf8Data: outer }, outer, outerBytes)
  t.is(seen[0], outerBytes)
  t.is(seen[1], innerBytes, 'inner delivery offers its own bytes')
  t.is(seen[2], null, 'not the outer ones for the inner text')
  t.is(seen[3], outerBytes, 'outer restored after the nested delivery')
  t.is(seen[4], null, 'inner ones gone')
  t.is(recentUtf8(outer), null, 'nothing offered after the delivery')
  // A throwing listener must not leave its bytes behind.
  const f = new EventEmitter()
  f.on('message', () => {
    throw new Error('listener failed')
  })
  t.throws(() => emitText(f, {}, outer, outerBytes), { message: 'listener failed' })
  t.is(recentUtf8(outer), null)
  // Below the size cut nothing is remembered (encoding is cheaper than the bookkeeping).
  e.removeAllListeners().on('message', () => seen.push(recentUtf8('small')))
  emitText(e, {}, 'small', Buffer.from('small'))
  t.is(seen.at(-1), null)
})

/** Runs `fn` with Buffer.from(string) / Buffer.byteLength counted into `encodes` (restored before returning). */
function countingEncodes(encodes: string[], fn: () => void): void {
  const from = Buffer.from
  const byteLength = Buffer.byteLength
  Buffer.from = ((v: unknown, ...rest: unknown[]) => {
    if (typeof v === 'string') encodes.push('from')
    return (from as (...a: unknown[]) => Buffer).call(Buffer, v, ...rest)
  }) as typeof Buffer.from
  Buffer.byteLength = ((v: string, enc?: BufferEncoding) => {
    encodes.push('byteLength')
    return byteLength(v, enc)
  }) as typeof Buffer.byteLength
  try {
    fn()
  } finally {
    Buffer.from = from
    Buffer.byteLength = byteLength
  }
}

test('sendUTF and broadcastUTF of the delivered text skip the UTF-8 encoder (Buffer.from / byteLength not called)', async (t) => {
  const encodes: string[] = []
  const { ws, replies: got } = await pair(t, (c, text) => countingEncodes(encodes, () => c.sendUTF(text)))
  const sent = [mixed(1500), mixed(70_000)]
  await replies(ws, got, sent, 2)
  t.deepEqual(got, sent)
  t.deepEqual(encodes, [])
  // broadcastUTF: counted around the call; a generated string of the same size is encoded (the spy sees it).
  const { wsServer, port } = await startServer(t, { autoAcceptConnections: true, maxReceivedFrameSize: 1 << 20 })
  const counts: number[] = []
  wsServer.on('connect', (c) =>
    c.on('message', (m) => {
      if (m.type !== 'utf8') return
      const seen: string[] = []
      countingEncodes(seen, () => wsServer.broadcastUTF(m.utf8Data))
      counts.push(seen.length)
      const other: string[] = []
      countingEncodes(other, () => wsServer.broadcastUTF(m.utf8Data.replace(/é/g, 'è')))
      counts.push(other.length)
    }),
  )
  const b = new WebSocket(`ws://127.0.0.1:${port}/`)
  t.teardown(() => b.terminate())
  const echoed: string[] = []
  b.on('message', (d) => echoed.push(d.toString()))
  await within(new Promise((r, j) => b.once('open', r).once('error', j)), 3000, 'open')
  b.send('é'.repeat(1000))
  await within(
    (async () => {
      while (echoed.length < 2) await new Promise((r) => setTimeout(r, 5))
    })(),
    5000,
    'broadcasts',
  )
  t.deepEqual(echoed, ['é'.repeat(1000), 'è'.repeat(1000)])
  t.is(counts[0], 0, 'delivered text: no encode')
  t.true(counts[1]! > 0, 'another text: encoded (the spy works)')
})

/** Strings around every cut of the encode path (small/scratch, frame copy/own payload, scratch/Buffer.from), with
 * lone surrogates (U+FFFD on the wire, as Buffer.from) at the start, the end and across the cuts. */
function generated(): string[] {
  const out: string[] = []
  for (const n of [0, 1, SCRATCH_MIN - 1, SCRATCH_MIN, 8192, 22_000, 65_536, 65_537, 70_000]) {
    out.push('{"ascii":true}'.repeat(n).slice(0, n), mixed(n * 3).slice(0, n))
  }
  out.push('a\ud800b', '\udc00', 'x'.repeat(SCRATCH_MIN) + '\ud83d', '\ude00' + 'é'.repeat(40_000), 'y'.repeat(65_535) + '😀')
  return out
}

test('utf8Bytes and encodeToScratch: the bytes of Buffer.from(text, "utf8") on both sides of every cut', (t) => {
  for (const text of generated()) {
    const want = Buffer.from(text, 'utf8')
    t.true(utf8Bytes(text).equals(want), `utf8Bytes ${text.length}`)
    const scratch = encodeToScratch(text)
    if (text.length <= 65_536) t.true(scratch !== null && scratch.equals(want), `scratch ${text.length}`)
    else t.is(scratch, null)
  }
  // utf8Bytes never hands out the scratch: a later encode does not change an earlier result.
  const first = utf8Bytes('é'.repeat(SCRATCH_MIN))
  utf8Bytes('z'.repeat(SCRATCH_MIN * 2))
  t.true(first.equals(Buffer.from('é'.repeat(SCRATCH_MIN))))
})

test('sendUTF of generated strings (not the delivered one): server and client role, byte-exact at every cut', async (t) => {
  const texts = generated()
  // Server role: the listener sends texts[i] when it receives "i".
  const { ws, replies: got } = await pair(t, (c, text) => {
    c.sendUTF(texts[Number(text)]!)
    // Back to back with another encode, so a reply still referencing the scratch would be overwritten.
    if (Number(text) === texts.length - 1) c.sendUTF('end')
  })
  await replies(ws, got, texts.map((_, i) => String(i)), texts.length + 1)
  t.deepEqual(got, [...texts.map((s) => Buffer.from(s).toString()), 'end'])
  // Client role (masked).
  const wss = new WsServer({ host: '127.0.0.1', port: 0, maxPayload: 0 })
  t.teardown(() => new Promise<void>((r) => wss.close(() => r())))
  await within(new Promise((r) => wss.once('listening', r)), 3000, 'listening')
  const received: string[] = []
  wss.on('connection', (peer) => peer.on('message', (d) => received.push(d.toString())))
  const client = new WebSocketClient({ maxReceivedFrameSize: 1 << 20 })
  client.on('connect', (c) => {
    for (const s of texts) c.sendUTF(s)
  })
  client.connect(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`)
  await within(
    (async () => {
      while (received.length < texts.length) await new Promise((r) => setTimeout(r, 5))
    })(),
    5000,
    'client sends',
  )
  t.deepEqual(received, texts.map((s) => Buffer.from(s).toString()))
  for (const c of wss.clients) c.terminate()
})

test('a text message above V8\'s maximum string length: decodeUtf8 throws on both backends, the connection closes 1009', async (t) => {
  const { constants } = await import('node:buffer')
  const { loadNativeCodec, tsCodec } = await import('../ts/codec/index.js')
  // ASCII: one byte per character, the cheapest way past the limit (2^29 - 24 characters on 64-bit V8).
  const huge = Buffer.alloc(constants.MAX_STRING_LENGTH + 1, 0x61)
  const native = loadNativeCodec()
  for (const c of native === null ? [tsCodec] : [tsCodec, native]) {
    t.throws(() => c.decodeUtf8(huge), undefined, c.backend)
  }
  t.is(tsCodec.decodeUtf8(huge.subarray(0, 5)), 'aaaaa', 'still fine below the limit')
  const { connPair } = await import('./helpers/conn-pair.js')
  const p = await connPair(t, 'server')
  // Delivered as the receiver would after reassembling it (sending 512 MiB over a socket would only slow the test).
  p.conn._deliver(0x01, huge)
  const closed = await p.closed(5000)
  t.is(closed.code, 1009)
  const frames = await p.waitFrames((fs) => fs.some((f) => f.opcode === 8), 5000)
  t.is(frames.find((f) => f.opcode === 8)!.payload.readUInt16BE(0), 1009)
})
