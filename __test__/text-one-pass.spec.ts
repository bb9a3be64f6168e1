// Issue 16: a text message's UTF-8 is validated once. A whole message in one frame is validated by the decode that
// makes its string (the parse leaves it unchecked); text that arrives in pieces is validated piece by piece
// (fail-fast, Autobahn 6.4.x); inflated text by the decode. Every path closes 1007 with the same reason, and only a
// string-length failure of the decode maps to 1009 — any other error surfaces. Runs on the backend under test.
import test from 'ava'
import { codec } from '../ts/codec/index.js'
import { connPair, frameHex, peerBytes } from './helpers/conn-pair.js'

const hexOf = (s: string | Buffer): string => Buffer.from(s).toString('hex')

const INVALID = Buffer.concat([Buffer.from('héllo Ωμέγα '.repeat(20)), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(' tail')])

for (const role of ['server', 'client'] as const) {
  test(`${role}: an invalid text message in one frame closes 1007 after the frames before it, none after`, async (t) => {
    const p = await connPair(t, role)
    const got: string[] = []
    p.conn.on('message', (m: { utf8Data?: string }) => got.push(m.utf8Data ?? 'binary'))
    p.send(frameHex(0x81, Buffer.from('first')) + frameHex(0x81, INVALID) + frameHex(0x81, Buffer.from('never')))
    const closed = await p.closed(5000)
    t.deepEqual(closed, { code: 1007, description: 'Invalid UTF-8 Data Received' })
    t.deepEqual(got, ['first'])
    const frames = await p.waitFrames((fs) => fs.some((f) => f.opcode === 8), 5000)
    t.is(frames.find((f) => f.opcode === 8)!.payload.readUInt16BE(0), 1007)
  })

  test(`${role}: the same text split over TCP chunks fails at the chunk with the bad byte (fail-fast), before the rest arrives`, async (t) => {
    const p = await connPair(t, role)
    const wire = peerBytes(role, frameHex(0x81, INVALID))
    const bad = wire.length - 5
    // Send up to just past the invalid sequence (the payload ends with it + ' tail'); the rest never comes.
    p.peer.write(wire.subarray(0, 100))
    await new Promise((r) => setTimeout(r, 20))
    t.true(p.conn.connected, 'the first chunk is valid so far')
    p.peer.write(wire.subarray(100, bad))
    const closed = await p.closed(5000)
    t.is(closed.code, 1007)
  })

  test(`${role}: valid text in one frame, in pieces and fragmented decodes to the same string`, async (t) => {
    const p = await connPair(t, role)
    const text = 'echo héllo wörld Ωμέγα привет 漢字テキスト 😀🚀 '.repeat(50)
    const bytes = Buffer.from(text)
    const got: string[] = []
    p.conn.on('message', (m: { utf8Data?: string }) => got.push(m.utf8Data ?? 'binary'))
    // Each one echoed, so the peer side can wait for the replies (bounded by waitFrames' timeout).
    p.conn.on('message', (m: { utf8Data?: string }) => p.conn.sendUTF(m.utf8Data ?? ''))
    p.send(frameHex(0x81, bytes))
    const split = peerBytes(role, frameHex(0x81, bytes))
    p.peer.write(split.subarray(0, 501))
    await new Promise((r) => setTimeout(r, 20))
    p.peer.write(split.subarray(501))
    p.send(frameHex(0x01, bytes.subarray(0, 77)) + frameHex(0x80, bytes.subarray(77)))
    await p.waitFrames((fs) => fs.filter((f) => f.opcode === 1).length === 3, 5000)
    t.deepEqual(got, [text, text, text])
  })
}

test('assembleFragments switched off after construction: a whole text frame is still validated before it is handed out', async (t) => {
  const p = await connPair(t, 'server')
  const frames: number[] = []
  p.conn.assembleFragments = false
  p.conn.on('frame', (f: { opcode: number }) => frames.push(f.opcode))
  p.send(frameHex(0x81, Buffer.from('ok')) + frameHex(0x81, INVALID))
  const closed = await p.closed(5000)
  t.is(closed.code, 1007)
  t.deepEqual(frames, [1])
})

test('the decode catch-all: only V8\'s string-length failure is 1009, any other error surfaces from _deliver', async (t) => {
  const p = await connPair(t, 'server')
  const original = { decodeText: codec.decodeText, decodeUtf8: codec.decodeUtf8 }
  const mutable = codec as { decodeText: (b: Uint8Array) => string | null; decodeUtf8: (b: Uint8Array) => string }
  t.teardown(() => Object.assign(mutable, original))
  // A bug (say a stale addon without the export): a TypeError must not pass for "message too big".
  const bug = (): never => {
    throw new TypeError('decodeUtf8 is not a function')
  }
  mutable.decodeText = bug
  mutable.decodeUtf8 = bug
  t.throws(() => p.conn._deliver(0x01, Buffer.from('x'.repeat(100))), { instanceOf: TypeError, message: 'decodeUtf8 is not a function' })
  t.throws(() => p.conn._deliver(0x01, Buffer.from('x'.repeat(100)), true), { instanceOf: TypeError })
  t.true(p.conn.connected, 'not closed as if the message were too big')
  // A RangeError that is not the string-length one surfaces too.
  mutable.decodeText = () => {
    throw new RangeError('something else')
  }
  t.throws(() => p.conn._deliver(0x01, Buffer.from('y')), { instanceOf: RangeError })
  t.true(p.conn.connected)
  // The string-length failure (Node's code on both backends) is the 1009.
  mutable.decodeText = () => {
    throw Object.assign(new RangeError('Cannot create a string longer than V8\'s maximum length'), { code: 'ERR_STRING_TOO_LONG' })
  }
  p.conn._deliver(0x01, Buffer.from('z'))
  t.is((await p.closed(5000)).code, 1009)
})

test('decodeText of invalid bytes is null on this backend and decodeUtf8 substitutes U+FFFD, as Buffer#toString does', (t) => {
  t.is(codec.decodeText(INVALID), null)
  t.is(codec.decodeUtf8(INVALID), INVALID.toString('utf8'))
  t.is(codec.decodeText(Buffer.from(hexOf('ok'), 'hex')), 'ok')
})

test('a patched processFrame sees the whole text frame first; invalid UTF-8 in it still closes 1007 when passed on', async (t) => {
  const p = await connPair(t, 'server')
  const seen: number[] = []
  const original = p.conn.processFrame.bind(p.conn)
  p.conn.processFrame = (frame) => {
    seen.push(frame.opcode)
    original(frame)
  }
  const got: string[] = []
  p.conn.on('message', (m: { utf8Data?: string }) => got.push(m.utf8Data ?? 'binary'))
  p.send(frameHex(0x81, Buffer.from('fine')) + frameHex(0x81, INVALID) + frameHex(0x81, Buffer.from('never')))
  const closed = await p.closed(5000)
  t.deepEqual(closed, { code: 1007, description: 'Invalid UTF-8 Data Received' })
  t.deepEqual(got, ['fine'])
  t.deepEqual(seen, [1, 1])
})
