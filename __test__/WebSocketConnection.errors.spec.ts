/**
 * Every protocol error and limit → its close code and reason, on the wire and in the 'close' event, both roles.
 */
import test from 'ava'
import { closeOf, collect, connPair, frameHex, ROLES, until } from './helpers/conn-pair.js'
import type { ConnectionConfig } from '../ts/config.js'

interface Case {
  name: string
  hex: string
  code: number
  reason: string
  config?: ConnectionConfig
}

const RSV = 'Unsupported usage of rsv bits without negotiated extension.'

const CASES: Case[] = [
  { name: 'RSV1 without extension', hex: 'c105' + '48656c6c6f', code: 1002, reason: RSV },
  { name: 'RSV2', hex: 'a100', code: 1002, reason: RSV },
  { name: 'RSV3 on a ping', hex: '9900', code: 1002, reason: RSV },
  { name: 'reserved opcode 0x3', hex: '8300', code: 1002, reason: 'Unrecognized Opcode: 0x3' },
  { name: 'reserved opcode 0xb', hex: '8b00', code: 1002, reason: 'Unrecognized Opcode: 0xb' },
  {
    name: 'control frame > 125 bytes',
    hex: '897e007e' + '00'.repeat(126),
    code: 1002,
    reason: 'Illegal control frame longer than 125 bytes.',
  },
  { name: 'fragmented control frame', hex: '0900', code: 1002, reason: 'Control frames must not be fragmented.' },
  { name: 'continuation without a message', hex: '8000', code: 1002, reason: 'Unexpected Continuation Frame' },
  {
    name: 'text frame inside a fragmented message',
    hex: '010161' + '810162',
    code: 1002,
    reason: 'Illegal frame opcode 0x1 received in middle of fragmented message.',
  },
  {
    name: '64-bit length with the top bit set',
    hex: '827f8000000000000000',
    code: 1002,
    reason: 'Unsupported 64-bit length frame received',
  },
  {
    name: '64-bit length 2^53',
    hex: '827f0020000000000000',
    code: 1009,
    reason: 'Frame size of 9007199254740992 bytes exceeds maximum accepted frame size',
  },
  { name: 'invalid UTF-8 text', hex: '8103' + 'cebaff', code: 1007, reason: 'Invalid UTF-8 Data Received' },
  { name: 'overlong UTF-8', hex: '8102' + 'c0af', code: 1007, reason: 'Invalid UTF-8 Data Received' },
  { name: 'UTF-16 surrogate in UTF-8', hex: '8103' + 'eda080', code: 1007, reason: 'Invalid UTF-8 Data Received' },
  {
    name: 'frame over maxReceivedFrameSize',
    hex: '827e03e9' + '00'.repeat(1001),
    code: 1009,
    reason: 'Frame size of 1001 bytes exceeds maximum accepted frame size',
    config: { maxReceivedFrameSize: 1000 },
  },
  {
    name: 'fragments over maxReceivedMessageSize',
    hex: '0206' + '00'.repeat(6) + '8006' + '00'.repeat(6),
    code: 1009,
    reason: 'Maximum message size exceeded.',
    config: { maxReceivedMessageSize: 10 },
  },
  {
    name: 'fragments over maxReceivedFragments',
    hex: '0100' + '0000' + '0000' + '8000',
    code: 1008,
    reason: 'Maximum number of message fragments exceeded.',
    config: { maxReceivedFragments: 3 },
  },
  {
    name: 'close payload of 1 byte',
    hex: '880103',
    code: 1002,
    reason: 'Invalid close frame payload length of 1 byte.',
  },
  { name: 'close code 999', hex: '880203e7', code: 1002, reason: 'Invalid close code received.' },
  { name: 'close code 1004', hex: '880203ec', code: 1002, reason: 'Invalid close code received.' },
  { name: 'close code 1005', hex: '880203ed', code: 1002, reason: 'Invalid close code received.' },
  { name: 'close code 1006', hex: '880203ee', code: 1002, reason: 'Invalid close code received.' },
  { name: 'close code 1015', hex: '880203f7', code: 1002, reason: 'Invalid close code received.' },
  { name: 'close code 2999', hex: '88020bb7', code: 1002, reason: 'Invalid close code received.' },
  { name: 'close code 5000', hex: '88021388', code: 1002, reason: 'Invalid close code received.' },
  { name: 'close reason not UTF-8', hex: '880403e8' + 'c328', code: 1007, reason: 'Invalid UTF-8 Data Received' },
]

for (const role of ROLES) {
  for (const c of CASES) {
    test(`${role}: ${c.name} → ${c.code}`, async (t) => {
      const p = await connPair(t, role, c.config ?? {})
      const got = collect(p)
      p.send('810131' + c.hex)
      const ev = await p.closed()
      t.deepEqual(ev, { code: c.code, description: c.reason })
      t.deepEqual(got, [{ t: 'text', d: '1' }], 'frames before the error are delivered')
      const fs = await p.waitFrames((f) => f.length >= 1)
      t.is(fs.length, 1)
      t.is(fs[0]!.opcode, 8)
      t.deepEqual(closeOf(fs[0]!), { code: c.code, reason: c.reason })
      t.false(p.conn.connected)
      t.is(p.conn.state, 'closed')
    })
  }

  test(`${role}: a close frame split across chunks is validated too`, async (t) => {
    const p = await connPair(t, role)
    const reason = Buffer.concat([Buffer.from('03e8', 'hex'), Buffer.alloc(50, 0x61), Buffer.from('ff', 'hex')])
    const { peerBytes } = await import('./helpers/conn-pair.js')
    const bytes = peerBytes(role, frameHex(0x88, reason))
    p.conn.handleSocketData(Buffer.from(bytes.subarray(0, 10)))
    p.conn.handleSocketData(Buffer.from(bytes.subarray(10)))
    const ev = await p.closed()
    t.is(ev.code, 1007)
  })

  test(`${role}: a huge declared length is refused with 1009 before any payload is sent`, async (t) => {
    const p = await connPair(t, role)
    p.send('827f0000000080000000')
    const ev = await p.closed()
    t.deepEqual(ev, { code: 1009, description: 'Frame size of 2147483648 bytes exceeds maximum accepted frame size' })
    const fs = await p.waitFrames((f) => f.length === 1)
    t.is(closeOf(fs[0]!).code, 1009)
  })
}

test('server: an unmasked client frame → 1002', async (t) => {
  const p = await connPair(t, 'server')
  p.peer.write(Buffer.from('8105' + '48656c6c6f', 'hex'))
  const ev = await p.closed()
  t.deepEqual(ev, { code: 1002, description: 'Received an unmasked frame from the client.' })
  const fs = await p.waitFrames((f) => f.length === 1)
  t.is(closeOf(fs[0]!).code, 1002)
})

test('client: a masked server frame → 1002', async (t) => {
  const p = await connPair(t, 'client')
  p.peer.write(Buffer.from('8185' + '00000000' + '48656c6c6f', 'hex'))
  const ev = await p.closed()
  t.deepEqual(ev, { code: 1002, description: 'Received a masked frame from the server.' })
})

test('server: 100,000 unfragmented messages on one connection are not a fragment flood', async (t) => {
  const p = await connPair(t, 'server', { maxReceivedFragments: 16 })
  let n = 0
  p.conn.on('message', () => n++)
  const { peerBytes } = await import('./helpers/conn-pair.js')
  const one = peerBytes('server', '8100')
  p.peer.write(Buffer.concat(Array.from({ length: 100000 }, () => one)))
  await until(() => n === 100000, 20000)
  t.true(p.conn.connected)
})

test('server: 1,000,000 empty continuation frames → 1008 after the fragment limit, heap stays bounded', async (t) => {
  const p = await connPair(t, 'server')
  const { peerBytes } = await import('./helpers/conn-pair.js')
  const cont = peerBytes('server', '0000')
  const block = Buffer.concat(Array.from({ length: 10000 }, () => cont))
  global.gc?.()
  const before = process.memoryUsage().heapUsed
  p.peer.write(peerBytes('server', '0100'))
  let written = 0
  for (let i = 0; i < 100 && !p.peer.destroyed; i++) {
    if (!p.peer.write(block)) await new Promise((r) => p.peer.once('drain', r).once('close', r))
    written += 10000
    if (!p.conn.connected) break
  }
  const ev = await p.closed(10000)
  t.deepEqual(ev, { code: 1008, description: 'Maximum number of message fragments exceeded.' })
  const after = process.memoryUsage().heapUsed
  t.true(after - before < 64 * 1024 * 1024, `heap growth ${(after - before) >> 20} MiB`)
  t.true(written <= 1000000)
  const fs = await p.waitFrames((f) => f.length === 1, 10000)
  t.is(closeOf(fs[0]!).code, 1008)
})

test('server: a reading peer sending 10,000 pings gets 10,000 pongs', async (t) => {
  const p = await connPair(t, 'server')
  const { peerBytes } = await import('./helpers/conn-pair.js')
  const ping = peerBytes('server', '890161')
  p.peer.write(Buffer.concat(Array.from({ length: 10000 }, () => ping)))
  await p.waitFrames((f) => f.length === 10000, 20000)
  t.true(p.conn.connected)
})
