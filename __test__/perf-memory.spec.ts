/**
 * Regression tests for the idle-memory work (issue 7): receivers share one descriptor array, so a receiver fed
 * while another is still delivering from it (a listener feeding a socket synchronously), or one paused with
 * frames left, must still deliver every frame intact and in order; and an accepted request (with its
 * IncomingMessage) must not stay reachable from the socket for the connection's life.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import test from 'ava'
import { Receiver } from '../ts/Receiver.js'
import type { ReceiverSink } from '../ts/Receiver.js'
import type { ProtocolError } from '../ts/errors.js'
import { WebSocketServer } from '../ts/WebSocketServer.js'
import type { WebSocketRequest } from '../ts/WebSocketRequest.js'
import { within } from './helpers/conn-pair.js'

/** Unmasked (server → client) frames, so the receivers run in the client role. */
const hex = (h: string): Buffer => Buffer.from(h, 'hex')

class Sink implements ReceiverSink {
  frames: string[] = []
  errors: string[] = []
  onFrame: ((index: number) => void) | null = null
  _receiveFrame(bits: number, payload: Buffer): void {
    this.frames.push(`${(bits & 0xff).toString(16)}:${payload.toString('hex')}`)
    this.onFrame?.(this.frames.length)
  }
  _receiveError(error: ProtocolError): void {
    this.errors.push(error.message)
  }
}

const newReceiver = (sink: Sink): Receiver => new Receiver(sink, false, 1 << 20, 1 << 20, 0)

test('a receiver fed while another delivers from the shared descriptors: both deliver every frame intact', (t) => {
  const a = new Sink()
  const b = new Sink()
  const ra = newReceiver(a)
  const rb = newReceiver(b)
  // While A delivers its 2nd frame, B parses a chunk of its own (and, nested, A gets more bytes: queued).
  a.onFrame = (n) => {
    if (n === 2) {
      // Different offsets, lengths and opcodes from A's frames, so descriptors overwritten would show.
      rb.push(hex('8a00' + '8104' + '61626364' + '8205' + 'b5b5b5b5b5' + '8900'))
      ra.push(hex('8201a4'))
    }
  }
  ra.push(hex('8201a1' + '8202a2a2' + '8203a3a3a3'))
  t.deepEqual(a.frames, ['82:a1', '82:a2a2', '82:a3a3a3', '82:a4'])
  t.deepEqual(b.frames, ['8a:', '81:61626364', '82:b5b5b5b5b5', '89:'])
  t.deepEqual([...a.errors, ...b.errors], [])
})

test('a receiver paused with frames left keeps them while others parse; resume() delivers them in order', (t) => {
  const a = new Sink()
  const b = new Sink()
  const ra = newReceiver(a)
  const rb = newReceiver(b)
  a.onFrame = (n) => {
    if (n === 1) ra.paused = true
  }
  ra.push(hex('8101' + '61' + '8102' + '6263' + '8201ff' + '0102' + '6465'))
  t.deepEqual(a.frames, ['81:61'])
  for (let i = 0; i < 3; i++) rb.push(hex('8202' + '0b0b' + '8a00'))
  t.is(b.frames.length, 6)
  ra.resume()
  t.deepEqual(a.frames, ['81:61', '81:6263', '82:ff', '1:6465'])
  // The pending fragmented text message continues across chunks with its own state.
  ra.push(hex('8001' + '66'))
  t.deepEqual(a.frames.slice(4), ['80:66'])
  t.deepEqual([...a.errors, ...b.errors], [])
})

test('message state is per receiver: invalid UTF-8 split across another receiver’s parse is still caught', (t) => {
  const a = new Sink()
  const b = new Sink()
  const ra = newReceiver(a)
  const rb = newReceiver(b)
  ra.push(hex('0101' + 'e2')) // first fragment: incomplete 3-byte sequence
  rb.push(hex('8102' + '6869')) // B's complete text frame resets B's message state only
  ra.push(hex('8001' + '28')) // 0xE2 0x28: invalid
  t.deepEqual(b.frames, ['81:6869'])
  t.is(a.errors.length, 1)
  t.deepEqual(a.frames, ['1:e2'])
})

test('an accepted request and its IncomingMessage become unreachable while the connection stays open', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const httpServer = http.createServer()
  const wsServer = new WebSocketServer({ httpServer, keepalive: false })
  t.teardown(() => {
    wsServer.shutDown()
    httpServer.close()
  })
  let requestRef: WeakRef<WebSocketRequest> | null = null
  let incomingRef: WeakRef<http.IncomingMessage> | null = null
  const connected = new Promise<void>((resolve) => {
    wsServer.once('request', (request: WebSocketRequest) => {
      requestRef = new WeakRef(request)
      incomingRef = new WeakRef(request.httpRequest)
      request.accept(null, null)
      resolve()
    })
  })
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r))
  const socket = net.connect((httpServer.address() as AddressInfo).port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  socket.write(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  )
  await connected
  await within(new Promise((resolve) => socket.once('data', resolve)), 5000, 'the 101')
  for (let i = 0; i < 5 && (requestRef!.deref() !== undefined || incomingRef!.deref() !== undefined); i++) {
    await new Promise((r) => setImmediate(r))
    gc()
  }
  t.is(wsServer.connections.length, 1)
  t.is(requestRef!.deref(), undefined)
  t.is(incomingRef!.deref(), undefined)
})
