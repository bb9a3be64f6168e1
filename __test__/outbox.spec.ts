/**
 * Write coalescing (issue 14, connection/outbox.ts): the frames a connection sends during one event-loop turn
 * leave in one socket write, and nothing a WebSocket-Node application relies on changes: order (within a turn and
 * across turns, control and close frames included), send callbacks after the bytes are handed to the socket,
 * outputBufferFull / 'drain' / bytesWaitingToFlush, close frames after queued data, drop(), pause(), a listener
 * that throws in the middle of a turn. Every test runs as server (unmasked frames) and as client (masked).
 */
import net from 'node:net'
import test from 'ava'
import { closeOf, collect, connPair, frameHex, peerBytes, ROLES, until, within } from './helpers/conn-pair.js'
import type { Pair } from './helpers/conn-pair.js'
import { WebSocketFrame } from '../ts/WebSocketFrame.js'

const turn = (): Promise<void> => new Promise((r) => setImmediate(r))

/** Counts the socket-level writes (single or gathered) of our side. */
function countWrites(socket: net.Socket): { calls: number } {
  const counts = { calls: 0 }
  const s = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void }
  const write = s._write
  const writev = s._writev
  s._write = function (this: unknown, ...a: unknown[]) {
    counts.calls++
    return write.apply(this, a)
  }
  s._writev = function (this: unknown, ...a: unknown[]) {
    counts.calls++
    return writev.apply(this, a)
  }
  return counts
}

/** The data messages and control frames the peer got, as 'op:payload' (text as text, else hex). */
function seen(p: Pair): string[] {
  const out: string[] = []
  let text: Buffer[] | null = null
  let op = 0
  for (const f of p.frames()) {
    if (f.opcode >= 8) {
      out.push(`${f.opcode.toString(16)}:${f.opcode === 8 ? closeOf(f).code : f.payload.toString()}`)
      continue
    }
    if (f.opcode !== 0) {
      op = f.opcode
      text = []
    }
    text!.push(f.payload)
    if (f.fin) {
      const all = Buffer.concat(text!)
      out.push(`${op}:${op === 1 ? all.toString() : all.length > 8 ? `${all.length} bytes` : all.toString('hex')}`)
    }
  }
  return out
}

for (const role of ROLES) {
  test(`${role}: one write per turn; order kept within and across turns, control frames included`, async (t) => {
    const p = await connPair(t, role, { fragmentationThreshold: 40000 })
    const writes = countWrites(p.conn.socket)
    const big = Buffer.alloc(100_000, 0xab) // fragmented, unmasked: kept by reference (a writev)
    for (let i = 0; i < 100; i++) p.conn.sendUTF(`m${i}`)
    p.conn.ping('p')
    p.conn.sendBytes(Buffer.from([1, 2]))
    p.conn.sendBytes(big)
    p.conn.sendFrame(Object.assign(new WebSocketFrame(), { opcode: 0x01, fin: true, binaryPayload: Buffer.from('frame') }))
    p.conn.pong('q')
    t.is(writes.calls, 1, 'the outbox reached 64 KiB once (written at once: one writev); the rest waits')
    await turn()
    t.is(writes.calls, 2, 'one more write at the end of the turn')
    p.conn.sendUTF('next turn')
    await p.waitFrames((fs) => fs.some((f) => f.payload.toString() === 'next turn'))
    const expected = [
      ...Array.from({ length: 100 }, (_, i) => `1:m${i}`),
      '9:p',
      '2:0102',
      '2:100000 bytes',
      '1:frame',
      'a:q',
      '1:next turn',
    ]
    t.deepEqual(seen(p), expected)
    t.true(p.frames().every((f) => f.masked === (role === 'client')))
  })

  test(`${role}: send callbacks run after their bytes were handed to the socket, in order; none synchronously`, async (t) => {
    const p = await connPair(t, role)
    const calls: string[] = []
    p.conn.sendUTF('a', (err) => calls.push(`a ${err ?? 'ok'} ${p.conn.bytesWaitingToFlush}`))
    p.conn.sendBytes(Buffer.from('b'), (err) => calls.push(`b ${err ?? 'ok'}`))
    p.conn.sendUTF('c')
    p.conn.sendUTF('d', (err) => calls.push(`d ${err ?? 'ok'}`))
    t.deepEqual(calls, [])
    t.true(p.conn.bytesWaitingToFlush > 0, 'counted while in the outbox')
    await until(() => calls.length === 3)
    t.deepEqual(calls, ['a ok 0', 'b ok', 'd ok'])
    // A socket gone before the turn ends: the callbacks get the error, nothing is written.
    const lost: Array<string> = []
    p.conn.sendUTF('e', (err) => lost.push(err?.message ?? 'ok'))
    p.conn.sendUTF('f', (err) => lost.push(err?.message ?? 'ok'))
    p.conn.socket.destroy()
    await until(() => lost.length === 2)
    t.deepEqual(lost, ['WebSocket connection is not open.', 'WebSocket connection is not open.'])
  })

  test(`${role}: outputBufferFull from the outbox alone, then one 'drain'; bytesWaitingToFlush counts the outbox`, async (t) => {
    const p = await connPair(t, role)
    let drains = 0
    p.conn.on('drain', () => drains++)
    const chunk = 'x'.repeat(1000)
    for (let i = 0; i < 15; i++) p.conn.sendUTF(chunk)
    t.false(p.conn.outputBufferFull, 'below the 16 KiB mark')
    t.is(p.conn.bytesWaitingToFlush, 15 * (1004 + (role === 'client' ? 4 : 0)))
    p.conn.sendUTF(chunk)
    p.conn.sendUTF(chunk)
    t.true(p.conn.outputBufferFull, 'above the socket high-water mark, though nothing was written yet')
    await until(() => drains === 1)
    t.false(p.conn.outputBufferFull)
    await until(() => p.frames().length === 17)
    await turn()
    t.is(drains, 1)
  })

  test(`${role}: a peer that does not read: outputBufferFull until it reads, then 'drain'`, async (t) => {
    const p = await connPair(t, role)
    p.peer.pause()
    let drained = false
    p.conn.on('drain', () => (drained = true))
    const chunk = Buffer.alloc(60_000, 1)
    let bytes = 0
    p.peer.on('data', (d: Buffer) => (bytes += d.length))
    let i = 0
    // Bounded: loopback buffers take a few MiB before the socket queues.
    for (; i < 2000 && p.conn.socket.writableLength === 0; i++) {
      p.conn.sendBytes(chunk)
      await turn()
    }
    t.true(p.conn.outputBufferFull)
    t.true(p.conn.bytesWaitingToFlush >= p.conn.socket.writableLength)
    // Until now the kernel took every turn's bytes ('drain' after each); now the socket holds them.
    drained = false
    await turn()
    await turn()
    t.false(drained)
    p.peer.resume()
    await until(() => drained, 10_000, 'drain')
    const frameSize = 60_000 + 4 * (4 + (role === 'client' ? 4 : 0)) // 4 fragments of at most 16 KiB
    await until(() => bytes === i * frameSize, 10_000, 'everything')
    t.false(p.conn.outputBufferFull)
  })

  test(`${role}: close() after sends in the same turn: the messages, then the close frame, then nothing`, async (t) => {
    const p = await connPair(t, role)
    for (let i = 0; i < 5; i++) p.conn.sendUTF(`before ${i}`)
    p.conn.close(1000, 'bye')
    let err: Error | null | undefined
    p.conn.sendUTF('after', (e) => (err = e))
    await p.peerEnded()
    t.deepEqual(seen(p), ['1:before 0', '1:before 1', '1:before 2', '1:before 3', '1:before 4', '8:1000'])
    t.is(err?.message, 'WebSocket connection is not open.')
  })

  test(`${role}: drop() after sends in the same turn: the messages go out first (with and without a close frame)`, async (t) => {
    const p = await connPair(t, role)
    p.conn.sendUTF('one')
    p.conn.sendBytes(Buffer.from('ff', 'hex'))
    p.conn.drop(1008, 'policy')
    await p.peerEnded()
    t.deepEqual(seen(p), ['1:one', '2:ff', '8:1008'])
    const q = await connPair(t, role)
    q.conn.sendUTF('two')
    q.conn.drop(1000, 'gone', true)
    await q.peerEnded()
    t.deepEqual(seen(q), ['1:two'])
  })

  test(`${role}: pause() stops input only; sends of the turn still go out`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    p.conn.pause()
    p.conn.sendUTF('while paused')
    p.send(frameHex(0x81, 'held'))
    await p.waitFrames((fs) => fs.length === 1)
    t.deepEqual(got, [])
    p.conn.resume()
    await until(() => got.length === 1)
    t.deepEqual(got, [{ t: 'text', d: 'held' }])
  })

  // Serial: no other test's flush may be scheduled while this one counts.
  test.serial(`${role}: replies to a received chunk leave in one write when it is handled; no end-of-turn flush is scheduled for them`, async (t) => {
    const p = await connPair(t, role, {}, { listen: false })
    const q = await connPair(t, role, {}, { listen: false })
    p.conn.on('message', (m) => {
      if (m.type !== 'utf8') return
      p.conn.sendUTF(`re ${m.utf8Data}`)
      if (m.utf8Data === 'fan') q.conn.sendUTF('fanned')
    })
    const writes = countWrites(p.conn.socket as net.Socket)
    await turn()
    const immediate = globalThis.setImmediate
    let scheduled = 0
    globalThis.setImmediate = ((fn: (...a: unknown[]) => void, ...a: unknown[]) => {
      scheduled++
      return immediate(fn, ...a)
    }) as typeof setImmediate
    try {
      p.conn.handleSocketData(peerBytes(role, frameHex(0x81, 'a') + frameHex(0x81, 'b')))
      t.is(writes.calls, 1)
      t.is(scheduled, 0)
      // A send to another connection from the listener waits for the end of the turn (one flush for all).
      p.conn.handleSocketData(peerBytes(role, frameHex(0x81, 'fan')))
      t.is(writes.calls, 2)
      t.is(scheduled, 1)
    } finally {
      globalThis.setImmediate = immediate
    }
    await p.waitFrames((fs) => fs.length === 3)
    await q.waitFrames((fs) => fs.length === 1)
    t.deepEqual(seen(p), ['1:re a', '1:re b', '1:re fan'])
    t.deepEqual(seen(q), ['1:fanned'])
  })

  test(`${role}: a 'message' listener that throws mid-turn: replies made before the throw still go out, in order`, async (t) => {
    const p = await connPair(t, role, {}, { listen: false })
    p.conn.on('message', (m) => {
      if (m.type !== 'utf8') return
      p.conn.sendUTF(`re ${m.utf8Data}`)
      if (m.utf8Data === 'boom') throw new Error('listener bug')
    })
    const chunk = peerBytes(role, frameHex(0x81, 'a') + frameHex(0x81, 'boom'))
    t.throws(() => p.conn.handleSocketData(chunk), { message: 'listener bug' })
    // The next chunk, in a later turn, is answered after them.
    await turn()
    p.conn.handleSocketData(peerBytes(role, frameHex(0x81, 'later')))
    await p.waitFrames((fs) => fs.length === 3)
    t.deepEqual(seen(p), ['1:re a', '1:re boom', '1:re later'])
  })
}

test('the outbox of a turn is written after a flush that threw for another connection (next turn)', async (t) => {
  const a = await connPair(t, 'server')
  const b = await connPair(t, 'server')
  const write = a.conn.socket.write
  let thrown = 0
  a.conn.socket.write = function (this: net.Socket, ...args: unknown[]) {
    if (thrown++ === 0) throw new Error('socket bug')
    return (write as (...a: unknown[]) => boolean).apply(this, args)
  } as typeof write
  const errors: string[] = []
  const onUncaught = (e: Error): void => {
    errors.push(e.message)
  }
  // The throw escapes from setImmediate: catch it here instead of failing the run.
  const listeners = process.listeners('uncaughtException')
  process.removeAllListeners('uncaughtException')
  process.on('uncaughtException', onUncaught)
  t.teardown(() => {
    process.removeListener('uncaughtException', onUncaught)
    for (const l of listeners) process.on('uncaughtException', l)
  })
  a.conn.sendUTF('to a')
  b.conn.sendUTF('to b')
  await within(b.waitFrames((fs) => fs.length === 1), 3000, 'b still written')
  t.deepEqual(errors, ['socket bug'])
  t.deepEqual(seen(b), ['1:to b'])
})

test('short texts encoded in place are the bytes Buffer.from gives (multi-byte, lone surrogates, both sides of 42 units)', async (t) => {
  const p = await connPair(t, 'server')
  const texts = ['', 'a', 'é€😀', '\ud800x', 'x\udc00', '€'.repeat(41), '€'.repeat(42), 'y'.repeat(41), '😀'.repeat(20) + 'z']
  for (const text of texts) p.conn.sendUTF(text)
  await p.waitFrames((fs) => fs.length === texts.length)
  t.deepEqual(
    p.frames().map((f) => f.payload.toString('hex')),
    texts.map((x) => Buffer.from(x, 'utf8').toString('hex')),
  )
  t.true(p.frames().every((f) => f.fin && f.opcode === 1 && !f.masked))
})
