/**
 * Closing handshake (RFC 6455 §7), drop(), closeTimeout, keepalive, socket errors — both roles.
 */
import test from 'ava'
import { closeOf, collect, connPair, ROLES, until } from './helpers/conn-pair.js'

const VALID = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
const hexCode = (c: number): string => c.toString(16).padStart(4, '0')

for (const role of ROLES) {
  test(`${role}: peer close with every valid code and a reason → event (code, reason), reply 1000`, async (t) => {
    for (const code of VALID) {
      const p = await connPair(t, role)
      const reason = `r${code}`
      const len = (2 + reason.length).toString(16).padStart(2, '0')
      p.send('88' + len + hexCode(code) + Buffer.from(reason).toString('hex'))
      const fs = await p.waitFrames((f) => f.length === 1)
      t.deepEqual(closeOf(fs[0]!), { code: 1000, reason: '' }, `reply to ${code}`)
      t.is(fs[0]!.masked, role === 'client')
      t.is(p.conn.state, 'peer_requested_close')
      t.false(p.conn.connected)
      await p.peerEnded()
      p.peer.end()
      t.deepEqual(await p.closed(), { code, description: reason })
    }
  })

  test(`${role}: locally initiated close with every valid code → peer sees it, event carries ours`, async (t) => {
    for (const code of VALID) {
      const p = await connPair(t, role)
      p.conn.close(code, `bye ${code}`)
      t.is(p.conn.state, 'ending')
      t.false(p.conn.connected)
      const fs = await p.waitFrames((f) => f.length === 1)
      t.deepEqual(closeOf(fs[0]!), { code, reason: `bye ${code}` })
      p.send('8802' + hexCode(code))
      await p.peerEnded()
      p.peer.end()
      t.deepEqual(await p.closed(), { code, description: `bye ${code}` })
    }
  })

  test(`${role}: empty close frame → event 1005 'Reason not provided', reply 1000`, async (t) => {
    const p = await connPair(t, role)
    p.send('8800')
    const fs = await p.waitFrames((f) => f.length === 1)
    t.deepEqual(closeOf(fs[0]!), { code: 1000, reason: '' })
    p.peer.end()
    t.deepEqual(await p.closed(), { code: 1005, description: 'Reason not provided' })
  })

  test(`${role}: close code without a reason → the table's description`, async (t) => {
    const p = await connPair(t, role)
    p.send('880203e9')
    await p.waitFrames((f) => f.length === 1)
    p.peer.end()
    t.deepEqual(await p.closed(), { code: 1001, description: 'Remote peer is going away' })
  })

  test(`${role}: frames after the peer's close frame are ignored`, async (t) => {
    const p = await connPair(t, role)
    const got = collect(p)
    p.send('8800' + '810131')
    await p.waitFrames((f) => f.length === 1)
    p.peer.end()
    await p.closed()
    t.deepEqual(got, [])
  })

  test(`${role}: close() defaults, invalid codes throw 'Close code N is not valid.'`, async (t) => {
    const p = await connPair(t, role)
    for (const bad of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
      t.throws(() => p.conn.close(bad), { message: `Close code ${bad} is not valid.` })
    }
    t.true(p.conn.connected)
    p.conn.close()
    const fs = await p.waitFrames((f) => f.length === 1)
    t.deepEqual(closeOf(fs[0]!), { code: 1000, reason: 'Normal connection closure' })
    t.notThrows(() => p.conn.close(1000), 'a second close() does nothing')
  })

  test(`${role}: a long close reason is cut to 123 bytes on a code point boundary`, async (t) => {
    const p = await connPair(t, role)
    p.conn.close(1000, '€'.repeat(60))
    const fs = await p.waitFrames((f) => f.length === 1)
    t.is(fs[0]!.payload.length, 2 + 123)
    t.is(closeOf(fs[0]!).reason, '€'.repeat(41))
  })

  test(`${role}: closeTimeout destroys the socket when the peer never answers`, async (t) => {
    const p = await connPair(t, role, { closeTimeout: 150 })
    p.conn.close(4000, 'custom')
    const started = Date.now()
    t.deepEqual(await p.closed(3000), { code: 4000, description: 'custom' })
    t.true(Date.now() - started >= 100)
    t.true(p.conn.socket.destroyed)
  })

  test(`${role}: closeTimeout also ends a peer-initiated close the peer never finishes`, async (t) => {
    const p = await connPair(t, role, { closeTimeout: 150 })
    p.send('880203e8')
    t.deepEqual(await p.closed(3000), { code: 1000, description: 'Normal connection closure' })
    t.true(p.conn.socket.destroyed)
  })

  test(`${role}: drop() sends 1002 'Protocol error' and emits 'close' synchronously`, async (t) => {
    const p = await connPair(t, role)
    let sync: unknown = null
    p.conn.on('close', (code, desc) => (sync = [code, desc]))
    p.conn.drop()
    t.deepEqual(sync, [1002, 'Protocol error'])
    t.is(p.conn.state, 'closed')
    const fs = await p.waitFrames((f) => f.length === 1)
    t.deepEqual(closeOf(fs[0]!), { code: 1002, reason: 'Protocol error' })
    await p.peerEnded()
  })

  test(`${role}: drop(code, non-string) uses the table text; skipCloseFrame sends nothing and destroys`, async (t) => {
    const p = await connPair(t, role)
    p.conn.drop(1000, Buffer.from('secret') as unknown as string)
    const fs = await p.waitFrames((f) => f.length === 1)
    t.deepEqual(closeOf(fs[0]!), { code: 1000, reason: 'Normal connection closure' })
    const q = await connPair(t, role)
    q.conn.drop(1006, 'gone', true)
    t.deepEqual(await q.closed(), { code: 1006, description: 'gone' })
    t.true(q.conn.socket.destroyed)
    await q.peerEnded()
    t.is(q.wire().length, 0)
  })

  test(`${role}: TCP close without a close frame → 1006 'Connection dropped by remote peer.'`, async (t) => {
    const p = await connPair(t, role)
    p.peer.end()
    t.deepEqual(await p.closed(), { code: 1006, description: 'Connection dropped by remote peer.' })
  })

  test(`${role}: ECONNRESET never throws; 'close' 1006 and 'error' only for listeners`, async (t) => {
    const p = await connPair(t, role)
    p.peer.resetAndDestroy()
    const ev = await p.closed()
    t.is(ev.code, 1006)
    t.regex(ev.description, /^(Socket Error: read ECONNRESET|Connection dropped by remote peer\.)$/)
    const q = await connPair(t, role)
    const errors: string[] = []
    q.conn.on('error', (e: NodeJS.ErrnoException) => errors.push(String(e.code)))
    q.conn.sendUTF('x')
    q.peer.resetAndDestroy()
    await q.closed()
    t.true(errors.every((c) => c === 'ECONNRESET' || c === 'EPIPE'))
  })

  test(`${role}: a reset before listeners are attached never throws; the creator's path gives 1006`, async (t) => {
    const p = await connPair(t, role, {}, { listen: false })
    p.peer.resetAndDestroy()
    await until(() => p.conn.socket.destroyed)
    p.conn._handleSocketCloseBeforeAccept()
    t.deepEqual(await p.closed(), { code: 1006, description: 'TCP connection lost before handshake completed.' })
  })

  test(`${role}: keepalive pings after the interval, drops a silent peer: 1006 'Peer not responding.'`, async (t) => {
    const p = await connPair(t, role, {
      keepalive: true,
      keepaliveInterval: 100,
      dropConnectionOnKeepaliveTimeout: true,
      keepaliveGracePeriod: 100,
    })
    const fs = await p.waitFrames((f) => f.length === 1)
    t.is(fs[0]!.opcode, 9)
    t.is(fs[0]!.payload.length, 0)
    t.deepEqual(await p.closed(), { code: 1006, description: 'Peer not responding.' })
    await new Promise((r) => setTimeout(r, 30))
    t.is(p.frames().length, 1, 'no close frame')
  })

  test(`${role}: keepalive timer reset by incoming data; a pong in the grace period keeps it open`, async (t) => {
    const p = await connPair(t, role, {
      keepalive: true,
      keepaliveInterval: 500,
      dropConnectionOnKeepaliveTimeout: true,
      keepaliveGracePeriod: 500,
    })
    for (let i = 0; i < 12; i++) {
      p.send('8a00')
      await new Promise((r) => setTimeout(r, 50))
    }
    t.is(p.frames().length, 0, 'no ping while data flows')
    await p.waitFrames((f) => f.length === 1, 3000)
    p.send('8a00')
    await new Promise((r) => setTimeout(r, 400))
    t.true(p.conn.connected)
  })

  test(`${role}: keepalive without drop keeps pinging`, async (t) => {
    const p = await connPair(t, role, {
      keepalive: true,
      keepaliveInterval: 60,
      dropConnectionOnKeepaliveTimeout: false,
    })
    await p.waitFrames((f) => f.length >= 3, 3000)
    t.true(p.conn.connected)
    t.true(p.frames().every((f) => f.opcode === 9))
  })
}

test('keepalive settings must be numeric (WebSocket-Node errors)', async (t) => {
  await t.throwsAsync(connPair(t, 'server', { keepalive: true, keepaliveInterval: 'x' as unknown as number }), {
    message: 'keepaliveInterval must be specified and numeric if keepalive is true.',
  })
  await t.throwsAsync(
    connPair(t, 'server', {
      keepalive: true,
      keepaliveInterval: 10,
      keepaliveGracePeriod: undefined,
      dropConnectionOnKeepaliveTimeout: true,
    }),
    { message: 'keepaliveGracePeriod  must be specified and numeric if dropConnectionOnKeepaliveTimeout is true.' },
  )
})

test('static close constants and descriptions match WebSocket-Node', async (t) => {
  const { WebSocketConnection } = await import('../ts/WebSocketConnection.js')
  t.is(WebSocketConnection.CLOSE_REASON_NORMAL, 1000)
  t.is(WebSocketConnection.CLOSE_REASON_TLS_HANDSHAKE_FAILED, 1015)
  t.is(WebSocketConnection.CLOSE_DESCRIPTIONS[1006], 'Abnormal closure, no further detail available')
  t.is(WebSocketConnection.CLOSE_DESCRIPTIONS[1012], undefined)
})
