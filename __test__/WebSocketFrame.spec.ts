/**
 * WebSocketFrame: exact bytes of toBuffer(), the compatibility parser addData(), toString(), and its use by
 * sendFrame() and 'frame' events.
 */
import test from 'ava'
import { WebSocketFrame } from '../ts/WebSocketFrame.js'
import type { IBufferList } from '../ts/WebSocketFrame.js'
import { connPair, decodeFrames, ROLES } from './helpers/conn-pair.js'

/** A minimal stand-in for WebSocket-Node's FastBufferList. */
class BufferList implements IBufferList {
  private buf: Buffer
  constructor(hex: string) {
    this.buf = Buffer.from(hex, 'hex')
  }
  get length(): number {
    return this.buf.length
  }
  joinInto(target: Buffer, targetStart: number, sourceStart: number, sourceEnd: number): Buffer {
    this.buf.copy(target, targetStart, sourceStart, sourceEnd)
    return target
  }
  advance(n: number): void {
    this.buf = this.buf.subarray(n)
  }
  take(n: number): Buffer {
    return this.buf.subarray(0, n)
  }
}

const frame = (props: Partial<WebSocketFrame>): WebSocketFrame =>
  Object.assign(new WebSocketFrame(Buffer.alloc(4), Buffer.alloc(10), {}), props)

test('toBuffer(nullMask) gives the exact bytes (masked with a zero key, unmasked)', (t) => {
  const payload = Buffer.from('Hello')
  const masked = frame({ fin: true, opcode: 1, mask: true, binaryPayload: payload }).toBuffer(true)
  t.is(masked.toString('hex'), '8185' + '00000000' + '48656c6c6f')
  t.is(frame({ fin: true, opcode: 1, binaryPayload: payload }).toBuffer().toString('hex'), '8105' + '48656c6c6f')
  t.is(frame({ fin: false, opcode: 2, rsv1: true, binaryPayload: Buffer.alloc(0) }).toBuffer().toString('hex'), '4200')
  t.is(frame({ fin: true, opcode: 9 }).toBuffer().toString('hex'), '8900')
})

test('toBuffer uses minimal length encoding', (t) => {
  const b125 = frame({ fin: true, opcode: 2, binaryPayload: Buffer.alloc(125) }).toBuffer()
  t.is(b125.subarray(0, 2).toString('hex'), '827d')
  const b126 = frame({ fin: true, opcode: 2, binaryPayload: Buffer.alloc(126) }).toBuffer()
  t.is(b126.subarray(0, 4).toString('hex'), '827e007e')
  const b64k = frame({ fin: true, opcode: 2, binaryPayload: Buffer.alloc(65536) }).toBuffer()
  t.is(b64k.subarray(0, 10).toString('hex'), '827f0000000000010000')
  t.is(b64k.length, 65546)
})

test('close frames carry closeStatus then the payload', (t) => {
  const f = frame({ fin: true, opcode: 8, closeStatus: 1000, binaryPayload: Buffer.from('bye') })
  t.is(f.toBuffer().toString('hex'), '8805' + '03e8' + '627965')
  t.is(f.length, 5)
})

test('a random mask key comes from the CSPRNG pool, is written to maskBytes and masks the payload', (t) => {
  const keys = new Set<string>()
  for (let i = 0; i < 50; i++) {
    const f = frame({ fin: true, opcode: 1, mask: true, binaryPayload: Buffer.from('abcdef') })
    const bytes = f.toBuffer()
    t.is(bytes.subarray(2, 6).toString('hex'), f.maskBytes.toString('hex'))
    keys.add(f.maskBytes.toString('hex'))
    const decoded = decodeFrames(bytes).frames[0]!
    t.is(decoded.payload.toString(), 'abcdef')
  }
  t.true(keys.size >= 49)
})

test('toString() as WebSocket-Node', (t) => {
  const f = frame({ fin: true, opcode: 1, mask: false, binaryPayload: Buffer.from('x') })
  f.toBuffer()
  t.is(f.toString(), 'Opcode: 1, fin: true, length: 1, hasPayload: true, masked: false')
})

test('addData parses masked frames incrementally', (t) => {
  const f = new WebSocketFrame(Buffer.alloc(4), Buffer.alloc(10), {})
  t.false(f.addData(new BufferList('81')))
  const list = new BufferList('8185' + '37fa213d' + '7f9f4d5158')
  t.true(f.addData(list))
  t.is(f.opcode, 1)
  t.true(f.fin)
  t.true(f.mask)
  t.is(f.binaryPayload!.toString(), 'Hello')
  t.is(list.length, 0)
})

test('addData: 16-bit length, close status, 1-byte close, limits and errors', (t) => {
  const big = new WebSocketFrame(Buffer.alloc(4), Buffer.alloc(10), {})
  t.true(big.addData(new BufferList('827e0100' + 'ab'.repeat(256))))
  t.is(big.binaryPayload!.length, 256)

  const close = new WebSocketFrame(Buffer.alloc(4), Buffer.alloc(10), {})
  t.true(close.addData(new BufferList('880503e8627965')))
  t.is(close.closeStatus, 1000)
  t.is(close.binaryPayload!.toString(), 'bye')

  const oneByte = new WebSocketFrame(Buffer.alloc(4), Buffer.alloc(10), {})
  t.true(oneByte.addData(new BufferList('880103')))
  t.true(oneByte.invalidCloseFrameLength)

  const ctl = new WebSocketFrame(Buffer.alloc(4), Buffer.alloc(10), {})
  t.true(ctl.addData(new BufferList('897e007e')))
  t.true(ctl.protocolError)
  t.is(ctl.dropReason, 'Illegal control frame longer than 125 bytes.')

  const frag = new WebSocketFrame(Buffer.alloc(4), Buffer.alloc(10), {})
  t.true(frag.addData(new BufferList('0900')))
  t.is(frag.dropReason, 'Control frames must not be fragmented.')

  const tooBig = new WebSocketFrame(Buffer.alloc(4), Buffer.alloc(10), { maxReceivedFrameSize: 1000 })
  t.true(tooBig.addData(new BufferList('827e03e9')))
  t.true(tooBig.frameTooLarge)
  t.is(tooBig.dropReason, 'Frame size of 1001 bytes exceeds maximum accepted frame size')

  const huge = new WebSocketFrame(Buffer.alloc(4), Buffer.alloc(10), {})
  t.true(huge.addData(new BufferList('827f0000000100000000')))
  t.is(huge.dropReason, 'Unsupported 64-bit length frame received')
})

for (const role of ROLES) {
  test(`${role}: sendFrame() masks per role and returns whether it flushed`, async (t) => {
    const p = await connPair(t, role)
    const f = frame({ fin: true, opcode: 1, binaryPayload: Buffer.from('hi') })
    t.true(p.conn.sendFrame(f))
    t.is(f.mask, role === 'client')
    const fs = await p.waitFrames((x) => x.length === 1)
    t.deepEqual([fs[0]!.opcode, fs[0]!.masked, fs[0]!.payload.toString()], [1, role === 'client', 'hi'])
  })

  test(`${role}: 'frame' events expose closeStatus and the reason for close frames`, async (t) => {
    const p = await connPair(t, role, { assembleFragments: false })
    const frames: WebSocketFrame[] = []
    p.conn.on('frame', (f) => frames.push(f))
    p.send('880503e8627965')
    await p.waitFrames((x) => x.length === 1)
    t.is(frames.length, 1)
    t.is(frames[0]!.closeStatus, 1000)
    t.is(frames[0]!.binaryPayload!.toString(), 'bye')
    t.is(frames[0]!.mask, role === 'server')
  })
}
