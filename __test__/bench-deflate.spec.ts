// The permessage-deflate benchmark's own machinery (benches/lib/textgen.ts, benches/lib/deflate-wire.ts): if the
// payloads were not what they claim, or the load generator's framing or inflation were wrong, its numbers would be
// meaningless. Checked against the RFC 7692 examples and against real servers (ferrosocket, ws) over loopback.
import net from 'node:net'
import zlib from 'node:zlib'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { WebSocketServer as WsServer } from 'ws'
import {
  MessageInflater,
  MessageParser,
  OFFER,
  agreedFromResponse,
  clientFrame,
  deflateSequence,
  type WireMessage,
} from '../benches/lib/deflate-wire.js'
import { EventStream, jsonMessage, jsonMessages, mulberry32 } from '../benches/lib/textgen.js'
import { startEchoServer } from './helpers/server-echo.js'

const hex = (b: Buffer) => b.toString('hex')
const ZERO_KEY = Buffer.alloc(4)

test('textgen: same seed, same bytes; another seed, other bytes', (t) => {
  t.deepEqual(jsonMessages(7, 1024, 5), jsonMessages(7, 1024, 5))
  t.notDeepEqual(jsonMessages(7, 1024, 5), jsonMessages(8, 1024, 5))
  const r = mulberry32(1)
  const xs = Array.from({ length: 1000 }, r)
  t.true(xs.every((x) => x >= 0 && x < 1))
  t.true(new Set(xs).size > 990)
})

test('textgen: messages are exactly the size asked for, valid JSON, all different', (t) => {
  for (const size of [64, 200, 1024, 4096, 65536]) {
    const ms = jsonMessages(3, size, 20)
    for (const m of ms) {
      t.is(m.length, size)
      const doc = JSON.parse(m.toString('utf8')) as { seq: number; events: unknown[]; note: string }
      t.true(Array.isArray(doc.events))
    }
    t.is(new Set(ms.map(hex)).size, ms.length)
  }
})

test('textgen: the text has non-ASCII and compresses like real JSON, not like a repeated constant', (t) => {
  const ms = jsonMessages(9, 1024, 64)
  t.true(ms.some((m) => m.some((b) => b >= 0x80)))
  const all = Buffer.concat(ms)
  const ratio = zlib.deflateRawSync(all).length / all.length
  // A repeated constant deflates below 0.01; random bytes do not deflate at all.
  t.true(ratio > 0.1 && ratio < 0.5, `ratio ${ratio}`)
})

test('textgen: a size below 64 bytes is refused', (t) => {
  t.throws(() => jsonMessage(new EventStream(1), 0, 63), { instanceOf: RangeError })
})

test('deflateSequence reproduces the RFC 7692 §7.2.3.2 example: "Hello" twice with context takeover', async (t) => {
  const [a, b] = await deflateSequence([Buffer.from('Hello'), Buffer.from('Hello')])
  t.is(hex(a!), 'f248cdc9c90700')
  t.is(hex(b!), 'f200110000')
})

test('clientFrame: FIN, RSV1 when compressed, mask bit and key, masked payload, 16- and 64-bit lengths', (t) => {
  t.is(hex(clientFrame(Buffer.from('f248cdc9c90700', 'hex'), { opcode: 1, compressed: true, key: ZERO_KEY })), 'c187' + '00000000' + 'f248cdc9c90700')
  t.is(hex(clientFrame(Buffer.from('Hello'), { opcode: 1, compressed: false, key: Buffer.from('37fa213d', 'hex') })), '8185' + '37fa213d' + '7f9f4d5158')
  t.is(hex(clientFrame(Buffer.alloc(126), { opcode: 2, compressed: false, key: ZERO_KEY }).subarray(0, 8)), '82fe007e00000000')
  t.is(hex(clientFrame(Buffer.alloc(65536), { opcode: 1, compressed: true, key: ZERO_KEY }).subarray(0, 14)), 'c1ff0000000000010000' + '00000000')
})

test('MessageParser: a compressed message in two fragments with a ping between, fed byte by byte', (t) => {
  const got: WireMessage[] = []
  const p = new MessageParser((m) => got.push(m))
  const wire = Buffer.from('4103f248cd' + '8900' + '8004c9c90700' + '8105' + '48656c6c6f', 'hex')
  for (const byte of wire) p.feed(Buffer.from([byte]))
  t.is(got.length, 2)
  t.like(got[0], { opcode: 1, compressed: true, wireBytes: 5 + 6 })
  t.is(hex(got[0]!.payload), 'f248cdc9c90700')
  t.like(got[1], { opcode: 1, compressed: false, wireBytes: 7 })
  t.is(got[1]!.payload.toString(), 'Hello')
})

test('MessageParser: RSV1 on a continuation, a masked frame, an orphan continuation throw', (t) => {
  t.throws(() => new MessageParser(() => {}).feed(Buffer.from('4101f2' + 'c001cd', 'hex')), { message: /RSV1/ })
  t.throws(() => new MessageParser(() => {}).feed(Buffer.from('818000000000', 'hex')), { message: /masked/ })
  t.throws(() => new MessageParser(() => {}).feed(Buffer.from('8000', 'hex')), { message: /continuation/ })
})

test('MessageInflater keeps its context: the RFC example "Hello" twice', async (t) => {
  const z = new MessageInflater()
  t.teardown(() => z.close())
  t.is((await z.inflate(Buffer.from('f248cdc9c90700', 'hex'))).toString(), 'Hello')
  t.is((await z.inflate(Buffer.from('f200110000', 'hex'))).toString(), 'Hello')
})

test('a precompressed sequence replays correctly after wrapping round (one inflater, three laps)', async (t) => {
  const texts = jsonMessages(5, 1024, 40)
  const payloads = await deflateSequence(texts)
  const z = new MessageInflater()
  t.teardown(() => z.close())
  for (let lap = 0; lap < 3; lap++) {
    for (let i = 0; i < texts.length; i++) t.true((await z.inflate(payloads[i]!)).equals(texts[i]!), `lap ${lap} message ${i}`)
  }
})

test('agreedFromResponse: parameters, quoted values, other extensions, none', (t) => {
  const head = (ext: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n${ext}Connection: Upgrade`
  t.deepEqual(agreedFromResponse(head('Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15\r\n')), {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  })
  t.like(agreedFromResponse(head('sec-websocket-extensions: x-foo, permessage-deflate; server_no_context_takeover; server_max_window_bits="10"\r\n')), {
    serverNoContextTakeover: true,
    serverMaxWindowBits: 10,
  })
  t.is(agreedFromResponse(head('')), null)
  t.is(agreedFromResponse(head('Sec-WebSocket-Extensions: x-foo\r\n')), null)
})

/**
 * What the load generator does, on one connection: offer, send the precompressed texts `laps` times round,
 * inflate and compare every echo. Resolves with the number of verified replies; rejects on the first mismatch.
 */
function driveEcho(t: ExecutionContext, port: number, texts: Buffer[], payloads: Buffer[], laps: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const frames = payloads.map((p) => clientFrame(p, { opcode: 1, compressed: true, key: Buffer.from('a1b2c3d4', 'hex') }))
    const s = net.connect({ port, host: '127.0.0.1' })
    const z = new MessageInflater()
    t.teardown(() => {
      s.destroy()
      z.close()
    })
    const timer = setTimeout(() => reject(new Error('no complete echo within 10 s')), 10_000)
    const total = texts.length * laps
    let next = 0
    let chain = Promise.resolve()
    const parser = new MessageParser((m) => {
      chain = chain.then(async () => {
        const plain = m.compressed ? await z.inflate(m.payload) : m.payload
        if (!m.compressed) throw new Error(`reply ${next} not compressed`)
        if (!plain.equals(texts[next % texts.length]!)) throw new Error(`reply ${next} differs`)
        if (++next === total) {
          clearTimeout(timer)
          resolve(next)
        } else s.write(frames[next % frames.length]!)
      }).catch((err: unknown) => {
        clearTimeout(timer)
        reject(err as Error)
      })
    })
    let head: Buffer | null = Buffer.alloc(0)
    s.on('data', (b: Buffer) => {
      if (head === null) return parser.feed(b)
      head = Buffer.concat([head, b])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      const agreed = agreedFromResponse(head.subarray(0, end).toString('latin1'))
      const rest = head.subarray(end + 4)
      head = null
      if (agreed === null) {
        clearTimeout(timer)
        reject(new Error('permessage-deflate not agreed'))
        return
      }
      if (rest.length > 0) parser.feed(rest)
      s.write(frames[0]!)
    })
    s.on('error', reject)
    s.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ${OFFER}\r\n\r\n`,
    )
  })
}

test('the load generator drives ferrosocket with permessage-deflate: every echo verified over two laps', async (t) => {
  const server = await startEchoServer(t, { perMessageDeflate: { threshold: 0 } })
  const texts = jsonMessages(9, 1024, 30)
  t.is(await driveEcho(t, server.port, texts, await deflateSequence(texts), 2), 60)
})

test('the load generator drives ws with permessage-deflate: every echo verified over two laps', async (t) => {
  const wss = new WsServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } })
  t.teardown(() => {
    for (const c of wss.clients) c.terminate()
    wss.close()
  })
  await new Promise<void>((resolve) => wss.on('listening', resolve))
  wss.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(d as Buffer, { binary: isBinary })))
  const texts = jsonMessages(9, 4096, 12)
  t.is(await driveEcho(t, (wss.address() as net.AddressInfo).port, texts, await deflateSequence(texts), 2), 24)
})
