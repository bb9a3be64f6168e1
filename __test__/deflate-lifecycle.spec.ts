// permessage-deflate and the connection's life: order of messages both ways across the threshold, close() after
// sends, drop during pending compression/inflation (no event after 'close', callbacks fail, nothing hangs).
import test from 'ava'
import WebSocket from 'ws'
import type { IMessage, WebSocketConnection } from '../ts/WebSocketConnection.js'
import { startServer } from './helpers/server-harness.js'
import { within } from './helpers/conn-pair.js'

async function pair(t: Parameters<typeof startServer>[0], threshold: number) {
  const server = await startServer(t, { perMessageDeflate: { threshold }, maxReceivedMessageSize: 8 << 20 })
  const conn = new Promise<WebSocketConnection>((resolve) =>
    server.wsServer.on('request', (req) => resolve(req.accept())),
  )
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: { threshold: 0 } })
  t.teardown(() => ws.terminate())
  ws.on('error', () => {})
  const open = new Promise<void>((resolve) => ws.once('open', () => resolve()))
  const c = await within(conn, 5000, 'the server-side connection')
  await within(open, 5000, 'the ws client to open')
  return { ws, conn: c }
}

const sizes = [10, 5000, 0, 1023, 1024, 200000, 3, 70000, 1]
const text = (i: number, n: number): string => `${i}:`.padEnd(n, 'abcdefghij'.charAt(i % 10))

test('order is kept both ways when compressed and uncompressed messages alternate', async (t) => {
  const { ws, conn } = await pair(t, 1024)
  const received: string[] = []
  const allIn = new Promise<void>((resolve) =>
    conn.on('message', (m: IMessage) => {
      if (m.type === 'utf8') received.push(m.utf8Data)
      if (received.length === sizes.length) resolve()
    }),
  )
  const echoed: string[] = []
  const allBack = new Promise<void>((resolve) =>
    ws.on('message', (d) => {
      echoed.push(d.toString())
      if (echoed.length === sizes.length) resolve()
    }),
  )
  sizes.forEach((n, i) => ws.send(text(i, n)))
  await allIn
  t.deepEqual(received, sizes.map((n, i) => text(i, n)))
  for (const m of received) conn.sendUTF(m)
  await allBack
  t.deepEqual(echoed, received)
})

test('close() after several sends: every message is on the wire before the close frame', async (t) => {
  const { ws, conn } = await pair(t, 0)
  const echoed: string[] = []
  ws.on('message', (d) => echoed.push(d.toString()))
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  sizes.forEach((n, i) => conn.sendUTF(text(i, n)))
  conn.close(4001, 'done')
  t.is(await closed, 4001)
  t.deepEqual(echoed, sizes.map((n, i) => text(i, n)))
})

test('drop() while compressing: send callbacks fail, no write after the close frame, no hang', async (t) => {
  const { ws, conn } = await pair(t, 0)
  const errors: Array<Error | null | undefined> = []
  const done = new Promise<void>((resolve) => {
    for (let i = 0; i < 5; i++) {
      conn.sendBytes(Buffer.alloc(1 << 20, i), (err) => {
        errors.push(err)
        if (errors.length === 5) resolve()
      })
    }
  })
  const closeCode = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  conn.drop(4002, 'gone')
  await done
  t.true(errors.every((e) => e instanceof Error))
  t.is(await closeCode, 4002)
})

test('drop() while a received message is being inflated: no message event after close', async (t) => {
  const { ws, conn } = await pair(t, 0)
  const events: string[] = []
  conn.on('message', () => events.push('message'))
  conn.on('close', () => events.push('close'))
  ws.send(Buffer.alloc(4 << 20, 0x61))
  // Drop as soon as the first bytes arrive: the inflation (in the thread pool) is still pending then.
  await new Promise<void>((resolve) => conn.socket.once('data', () => resolve()))
  conn.drop(4003, 'bye')
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.deepEqual(events, ['close'])
})

test('pause() during inflation holds later messages until resume()', async (t) => {
  const { ws, conn } = await pair(t, 0)
  const got: string[] = []
  const first = new Promise<void>((resolve) =>
    conn.on('message', (m: IMessage) => {
      if (m.type === 'utf8') got.push(m.utf8Data)
      if (got.length === 1) {
        conn.pause()
        resolve()
      }
    }),
  )
  ws.send('one '.repeat(500))
  ws.send('two '.repeat(500))
  ws.send('three')
  await first
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.is(got.length, 1)
  const rest = new Promise<void>((resolve) => conn.on('message', () => got.length === 3 && resolve()))
  conn.resume()
  await rest
  t.deepEqual(got, ['one '.repeat(500), 'two '.repeat(500), 'three'])
})
