/**
 * permessage-deflate hardening (issue 13), each test named after what it stops, server and client role, over a
 * raw TCP peer on 127.0.0.1 (conn-pair). The backend comes from FERROSOCKET_BACKEND (npm test runs both).
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import zlib from 'node:zlib'
import test from 'ava'
import { WebSocketServer } from 'ws'
import { W3CWebSocket } from '../ts/W3CWebSocket.js'
import type { Extension } from '../ts/connection/types.js'
import { collect, connPair, decodeFrames, frameHex, peerBytes, PMD, ROLES, until } from './helpers/conn-pair.js'

const DEFLATE = { perMessageDeflate: true }

/** A message's payload as most senders write it: sync-flushed, the 00 00 ff ff tail removed (RFC 7692 §7.2.1). */
function syncFlushed(text: string): Buffer {
  const z = zlib.deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
  return z.subarray(0, z.length - 4)
}

/** A message's payload ending its DEFLATE stream with a final block (BFINAL = 1), as RFC 7692 §7.2.3 allows. */
const finalBlock = (text: string): Buffer => zlib.deflateRawSync(Buffer.from(text))

for (const role of ROLES) {
  const peer = role === 'server' ? 'client' : 'server'
  const agreements: Array<[string, Extension[]]> = [
    ['context takeover', PMD],
    [`${peer}_no_context_takeover`, [{ name: 'permessage-deflate', params: [{ name: `${peer}_no_context_takeover` }] }]],
  ]
  for (const [name, extensions] of agreements) {
    test(`${role} (${name}): a message ending its DEFLATE stream (BFINAL=1) — later messages not lost`, async (t) => {
      const p = await connPair(t, role, DEFLATE, { extensions })
      const got = collect(p)
      p.send(
        frameHex(0xc1, finalBlock('first')) +
          frameHex(0xc1, syncFlushed('second')) +
          frameHex(0xc1, finalBlock('third')) +
          frameHex(0xc1, syncFlushed('fourth')),
      )
      await until(() => got.length === 4 || !p.conn.connected)
      t.deepEqual(got.map((m) => m.d), ['first', 'second', 'third', 'fourth'])
      t.true(p.conn.connected)
    })
  }
}

for (const role of ROLES) {
  test(`${role}: a peer flooding small compressed messages — the socket is not read ahead of inflation`, async (t) => {
    const p = await connPair(t, role, DEFLATE, { extensions: PMD })
    const one = peerBytes(role, frameHex(0xc1, syncFlushed('hello flood')))
    // 1M messages (~17-21 MB): far more than the few the assertion waits for.
    const flood = Buffer.alloc(one.length * 1_000_000).fill(one)
    let delivered = 0
    let pauses = 0
    // The socket's own 'resume' when reading starts is re-emitted as before; the hold's are not.
    await new Promise((resolve) => setImmediate(resolve))
    p.conn.on('message', () => delivered++)
    p.conn.on('pause', () => pauses++)
    p.conn.on('resume', () => pauses++)
    p.peer.write(flood)
    await until(() => delivered >= 2000, 20000, '2,000 messages')
    // Read but not yet delivered: at most what the socket had read when inflation began (one read) plus what
    // it buffers while paused; without backpressure this was the whole flood.
    const ahead = p.conn.socket.bytesRead - delivered * one.length
    t.true(ahead < 1 << 20, `${ahead} bytes read ahead of delivery`)
    t.is(pauses, 0, "the hold is not the application's pause(): no 'pause'/'resume' events")
    p.peer.destroy()
  })

  test(`${role}: a peer flooding compressed messages in three fragments — the socket is not read ahead of inflation`, async (t) => {
    const p = await connPair(t, role, DEFLATE, { extensions: PMD })
    const z = syncFlushed('hello fragmented flood')
    const one = peerBytes(
      role,
      frameHex(0x41, z.subarray(0, 5)) + frameHex(0x00, z.subarray(5, 10)) + frameHex(0x80, z.subarray(10)),
    )
    const flood = Buffer.alloc(one.length * 500_000).fill(one)
    let delivered = 0
    let wrong = 0
    await new Promise((resolve) => setImmediate(resolve))
    p.conn.on('message', (m) => {
      delivered++
      if (m.type !== 'utf8' || m.utf8Data !== 'hello fragmented flood') wrong++
    })
    p.peer.write(flood)
    await until(() => delivered >= 2000, 20000, '2,000 messages')
    const ahead = p.conn.socket.bytesRead - delivered * one.length
    t.true(ahead < 1 << 20, `${ahead} bytes read ahead of delivery`)
    t.is(wrong, 0)
    p.peer.destroy()
  })

  test(`${role}: pause()/resume() during inflation still emit 'pause'/'resume' and hold delivery`, async (t) => {
    const p = await connPair(t, role, DEFLATE, { extensions: PMD })
    const events: string[] = []
    const got = collect(p)
    await new Promise((resolve) => setImmediate(resolve))
    p.conn.on('pause', () => events.push('pause'))
    p.conn.on('resume', () => events.push('resume'))
    p.conn.once('message', () => {
      p.conn.pause()
      setTimeout(() => p.conn.resume(), 50)
    })
    p.send(frameHex(0xc1, syncFlushed('one')) + frameHex(0xc1, syncFlushed('two')))
    await until(() => got.length === 2)
    await until(() => events.length === 2)
    t.deepEqual(events, ['pause', 'resume'])
    t.deepEqual(got.map((m) => m.d), ['one', 'two'])
  })
}

for (const role of ROLES) {
  test(`${role}: drop() while a message inflates — no 'resume' event after 'close'`, async (t) => {
    const p = await connPair(t, role, DEFLATE, { extensions: PMD })
    await new Promise((resolve) => setImmediate(resolve))
    const events: string[] = []
    p.conn.on('resume', () => events.push('resume'))
    p.conn.on('close', () => events.push('close'))
    // Fed synchronously: the first message is inflating, the second waits, the socket is held when drop() runs.
    const two = frameHex(0xc1, syncFlushed('inflating')) + frameHex(0xc1, syncFlushed('waiting'))
    p.conn.handleSocketData(peerBytes(role, two))
    t.true(p.conn.socket.isPaused())
    p.conn.drop(1000)
    // The socket's 'resume' event comes on the next tick.
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    t.deepEqual(events, ['close'])
  })

  test(`${role}: the peer's close arrives while a reply is compressed — the reply and close 1000 are written, in order`, async (t) => {
    const p = await connPair(t, role, DEFLATE, { extensions: PMD })
    const reply = Array.from({ length: 2000 }, (_, i) => `line ${i};`).join('').slice(0, 20000)
    const sent: Array<Error | null | undefined> = []
    p.conn.on('message', () => {
      p.conn.sendUTF(reply, (err) => sent.push(err))
      p.conn.close(1000)
    })
    // The message and the peer's own close in one TCP write: the close is handled while the reply compresses.
    p.send(frameHex(0x81, 'bye') + '880203e8')
    const fs = await p.waitFrames((f) => f.some((x) => x.opcode === 8))
    await p.peerEnded()
    t.deepEqual(
      fs.map((f) => [f.opcode, f.rsv]),
      [
        [1, 4],
        [8, 0],
      ],
    )
    const tail = Buffer.from('0000ffff', 'hex')
    const text = zlib
      .inflateRawSync(Buffer.concat([fs[0]!.payload, tail]), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
      .toString()
    t.is(text, reply)
    t.is(fs[1]!.payload.readUInt16BE(0), 1000)
    await until(() => sent.length === 1)
    t.is(sent[0] ?? null, null, 'the send callback got no error')
  })
}

// The other direction: a peer floods plain messages (nothing to inflate) and reads everything, and the echo compresses
// every reply. Parsing outruns compression, so replies pile up behind it (1.3 GB in 5 s for ours and for ws 8 alike,
// found in the issue 13 audit). Reading stops while more than 1 MiB of sends waits for compression.
for (const role of ROLES) {
  test(`${role}: a peer flooding plain messages at a compressing echo — the socket is not read ahead of compression`, async (t) => {
    const p = await connPair(t, role, DEFLATE, { extensions: PMD })
    // The peer keeps what it reads as chunks (conn-pair's own listener joins them on every read).
    p.peer.removeAllListeners('data')
    const echoed: Buffer[] = []
    p.peer.on('data', (d: Buffer) => echoed.push(d))
    const text = randomBytes(1000).toString('hex')
    let handled = 0
    let maxBacklog = 0
    p.conn.on('message', (m) => {
      handled++
      if (m.type === 'utf8') p.conn.sendUTF(m.utf8Data)
      maxBacklog = Math.max(maxBacklog, p.conn.bytesWaitingToFlush)
    })
    const one = peerBytes(role, frameHex(0x81, text))
    const count = 20_000
    p.peer.write(Buffer.alloc(one.length * count).fill(one))
    await until(() => handled === count, 30000, `${count} messages handled`)
    t.true(maxBacklog < 4 << 20, `${maxBacklog} bytes waited for compression`)
    await until(() => p.conn.bytesWaitingToFlush === 0, 30000, 'every echo written')
    await until(() => decodeFrames(Buffer.concat(echoed)).frames.length === count, 10000, 'every echo read')
    const frames = decodeFrames(Buffer.concat(echoed)).frames
    t.true(frames.every((f) => f.opcode === 1 && f.rsv === 4), 'every echo compressed')
    t.true(p.conn.connected)
  })
}

// Issue 13: sends waiting for compression were invisible to bytesWaitingToFlush/bufferedAmount, outputBufferFull
// and maxOutputBufferSize, so a peer that never reads could pile them up without any limit noticing.
for (const role of ROLES) {
  test(`${role}: sends queued behind compression count in bytesWaitingToFlush and outputBufferFull, 'drain' after`, async (t) => {
    const p = await connPair(t, role, DEFLATE, { extensions: PMD })
    const text = 'compressible text; '.repeat(1100)
    let drains = 0
    const waitingAtDrain: number[] = []
    p.conn.on('drain', () => {
      drains++
      waitingAtDrain.push(p.conn.bytesWaitingToFlush)
    })
    for (let i = 0; i < 3; i++) p.conn.sendUTF(text)
    t.true(p.conn.bytesWaitingToFlush >= 3 * text.length, `${p.conn.bytesWaitingToFlush} bytes counted`)
    t.true(p.conn.outputBufferFull)
    await p.waitFrames((f) => f.length === 3)
    await until(() => drains === 1)
    // Not before the backlog is gone: 'drain' means the application may send again.
    t.true(waitingAtDrain[0]! < p.conn.socket.writableHighWaterMark, `'drain' with ${waitingAtDrain[0]} bytes waiting`)
    t.false(p.conn.outputBufferFull)
    t.is(p.conn.bytesWaitingToFlush, 0)
  })

  test(`${role}: a backlog behind compression above maxOutputBufferSize → cut off 1008 at once`, async (t) => {
    const p = await connPair(t, role, { ...DEFLATE, maxOutputBufferSize: 1 << 20 }, { extensions: PMD })
    p.peer.pause()
    const chunk = randomBytes(64 * 1024)
    let sent = 0
    for (; sent < 100 && p.conn.connected; sent++) p.conn.sendBytes(chunk)
    t.true(sent <= 17, `${sent} sends of 64 KiB accepted with a 1 MiB limit`)
    t.deepEqual(await p.closed(), { code: 1008, description: 'Output buffer size limit exceeded.' })
  })
}

// The same through a compressing echo: a peer floods compressed messages and never reads the echoes. Every echo is
// compressed (threshold 0, no context takeover: ~8 KiB each), so the backlog is mostly sends queued behind compression.
for (const role of ROLES) {
  test(`${role}: a compressing echo whose peer floods and never reads → cut off by maxOutputBufferSize (1008)`, async (t) => {
    const config = { perMessageDeflate: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true }, maxOutputBufferSize: 1 << 20 }
    const ours = role === 'server' ? 'server' : 'client'
    const extensions: Extension[] = [{ name: 'permessage-deflate', params: [{ name: `${ours}_no_context_takeover` }] }]
    const p = await connPair(t, role, config, { extensions })
    p.conn.on('message', (m) => {
      if (m.type === 'utf8') p.conn.sendUTF(m.utf8Data)
    })
    p.peer.pause()
    const one = peerBytes(role, frameHex(0xc1, syncFlushed(randomBytes(8192).toString('hex'))))
    // 2,000 messages of 16 KiB inflated (~18 MB on the wire): far more than the limit lets through.
    const write = (): void => {
      for (let i = 0; i < 100; i++) if (!p.peer.destroyed) p.peer.write(one)
    }
    for (let i = 0; i < 20; i++) write()
    t.deepEqual(await p.closed(10000), { code: 1008, description: 'Output buffer size limit exceeded.' })
  })
}

test('client: W3CWebSocket.bufferedAmount counts sends waiting for compression', async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true })
  t.teardown(() => wss.close())
  await once(wss, 'listening')
  wss.on('connection', (ws) => ws.on('message', () => {}))
  const port = (wss.address() as AddressInfo).port
  const client = new W3CWebSocket(`ws://127.0.0.1:${port}/`, null, null, null, null, { perMessageDeflate: true })
  t.teardown(() => client.close())
  await new Promise<void>((resolve, reject) => {
    client.onopen = () => resolve()
    client.onerror = () => reject(new Error('W3CWebSocket failed to open'))
  })
  const text = 'compressible text; '.repeat(1100)
  for (let i = 0; i < 3; i++) client.send(text)
  t.true(client.bufferedAmount >= 3 * text.length, `bufferedAmount ${client.bufferedAmount}`)
  await until(() => client.bufferedAmount === 0)
})
