/**
 * Differential check against the original (websocket@1.0.35): for inputs where ferrosocket promises the same
 * behaviour, the original's WebSocketConnection and ours, fed the same masked frames over TCP, emit the same
 * messages and the same 'close' event and put the same frames on the wire.
 * Deliberate differences are not listed here (see the "stricter than WebSocket-Node" list), nor is one
 * compatible one: a valid code outside the description table without a reason gives '' (the original: undefined).
 */
import { once } from 'node:events'
import { createRequire } from 'node:module'
import net from 'node:net'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { WebSocketConnection } from '../ts/WebSocketConnection.js'
import { closeOf, decodeFrames, peerBytes, SERVER_DEFAULTS, within } from './helpers/conn-pair.js'

const require = createRequire(import.meta.url)
const Original = (require('websocket') as { connection: new (...args: unknown[]) => NodeJS.EventEmitter }).connection

interface Outcome {
  messages: string[]
  close: [number, string]
  wire: Array<[number, string]>
}

type Conn = NodeJS.EventEmitter & Record<string, (...a: unknown[]) => void>

async function run(
  t: ExecutionContext,
  impl: 'original' | 'ours',
  hex: string,
  config: object,
  action?: string,
  seen?: string[],
): Promise<Outcome> {
  const server = net.createServer({ allowHalfOpen: true })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = once(server, 'connection') as Promise<[net.Socket]>
  const peer = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true })
  peer.on('error', () => {})
  const [socket] = await accepted
  t.teardown(() => {
    socket.destroy()
    peer.destroy()
    server.close()
  })
  const cfg = { ...SERVER_DEFAULTS, keepalive: false, ...config }
  const conn =
    impl === 'original'
      ? (new Original(socket, [], null, false, cfg) as Conn)
      : (new WebSocketConnection(socket, [], undefined, false, cfg) as unknown as Conn)
  conn.on('error', () => {})
  if (seen) {
    // The original's hook: patch processFrame on the instance, record each frame, continue with the original.
    const base = conn.processFrame!
    conn.processFrame = function (this: Conn, f: unknown) {
      const frame = f as { opcode: number; fin: boolean; rsv1: boolean; binaryPayload: Buffer; closeStatus: number }
      seen.push(`${frame.opcode}:${frame.fin}:${frame.rsv1}:${frame.binaryPayload.toString('hex')}:${frame.closeStatus}`)
      base.call(this, f)
    }
  }
  const messages: string[] = []
  conn.on('message', (m: { type: string; utf8Data?: string; binaryData?: Buffer }) =>
    messages.push(m.type === 'utf8' ? `t:${m.utf8Data}` : `b:${m.binaryData!.toString('hex')}`),
  )
  const closed = new Promise<[number, string]>((resolve) => conn.on('close', (c: number, d: string) => resolve([c, d])))
  conn._addSocketEventListeners!()
  let wire = Buffer.alloc(0)
  peer.on('data', (d: Buffer) => (wire = Buffer.concat([wire, d])))
  // The close frame is on the wire once the connection has half-closed: wait for the peer's 'end' (bounded)
  // rather than a fixed delay, which was too short on a loaded machine.
  const ended = new Promise<void>((resolve) => peer.once('end', () => resolve()))
  peer.on('end', () => peer.end())
  if (hex) peer.write(peerBytes('server', hex))
  if (action === 'close') (conn.close as (c: number, d: string) => void)(4001, 'custom')
  if (action === 'drop') (conn.drop as () => void)()
  if (action === 'send40000') (conn.sendUTF as (s: string) => void)('y'.repeat(40000))
  const close = await within(closed, 5000, `${impl} close`)
  await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))])
  const frames = decodeFrames(wire).frames
  return {
    messages,
    close,
    wire: frames.map((f) => [
      f.opcode | (f.fin ? 0x80 : 0),
      f.opcode === 8 ? JSON.stringify(closeOf(f)) : String(f.payload.length),
    ]),
  }
}

const SCENARIOS: Array<{ name: string; hex: string; config?: object; action?: string }> = [
  {
    name: 'messages then close 1000 "bye"',
    hex: '8105' + '48656c6c6f' + '8203010203' + '0101' + '61' + '8001' + '62' + '880503e8627965',
  },
  { name: 'ping answered, then close 1001 without reason', hex: '890161' + '880203e9' },
  { name: 'RSV1', hex: 'c100' },
  { name: 'reserved opcode', hex: '8300' },
  { name: 'control frame > 125', hex: '897e007e' + '00'.repeat(126) },
  { name: 'fragmented ping', hex: '0900' },
  { name: 'unexpected continuation', hex: '8000' },
  { name: 'invalid UTF-8 single frame', hex: '8103cebaff' },
  { name: 'frame too big', hex: '827e03e9' + '00'.repeat(1001), config: { maxReceivedFrameSize: 1000 } },
  {
    name: 'message too big',
    hex: '0206' + '00'.repeat(6) + '8006' + '00'.repeat(6),
    config: { maxReceivedMessageSize: 10 },
  },
  { name: 'local close(4001, custom) answered', hex: '', action: 'close' },
  { name: 'drop()', hex: '', action: 'drop' },
  { name: '40000-byte text fragmented, then peer close', hex: '880203e8', action: 'send40000' },
]

for (const s of SCENARIOS) {
  test(`same as websocket@1.0.35: ${s.name}`, async (t) => {
    let hex = s.hex
    if (s.action === 'close') hex = ''
    const original = await run(t, 'original', hex, s.config ?? {}, s.action)
    const ours = await run(t, 'ours', hex, s.config ?? {}, s.action)
    t.deepEqual(ours, original)
  })
}

test('processFrame (patched on the instance) sees every frame as in websocket@1.0.35, and calling through continues', async (t) => {
  // text, binary, a fragmented text with a ping in the middle, a pong, then close 1000 "bye".
  const hex = '8105' + '48656c6c6f' + '8203010203' + '0101' + '61' + '890170' + '8001' + '62' + '8a0171' + '880503e8627965'
  const seenOriginal: string[] = []
  const seenOurs: string[] = []
  const original = await run(t, 'original', hex, {}, undefined, seenOriginal)
  const ours = await run(t, 'ours', hex, {}, undefined, seenOurs)
  t.deepEqual(seenOurs, seenOriginal)
  t.is(seenOurs.length, 7)
  t.deepEqual(ours, original)
  t.deepEqual(ours.messages, ['t:Hello', 'b:010203', 't:ab'])
})

test('processFrame overridden in a subclass: it decides what happens to each frame', async (t) => {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = once(server, 'connection') as Promise<[net.Socket]>
  const peer = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' })
  peer.on('error', () => {})
  peer.on('end', () => peer.end())
  peer.resume()
  const [socket] = await accepted
  t.teardown(() => {
    socket.destroy()
    peer.destroy()
    server.close()
  })
  class Filtering extends WebSocketConnection {
    override processFrame(frame: Parameters<WebSocketConnection['processFrame']>[0]): void {
      // Swallow binary frames, pass the rest on.
      if (frame.opcode !== 0x02) super.processFrame(frame)
    }
  }
  const conn = new Filtering(socket, [], null, false, { ...SERVER_DEFAULTS, keepalive: false })
  const messages: string[] = []
  conn.on('message', (m) => messages.push(m.type))
  const closed = once(conn, 'close')
  conn._addSocketEventListeners()
  peer.write(peerBytes('server', '8203010203' + '810161' + '880203e8'))
  const [code] = await within(closed, 5000, 'close')
  t.deepEqual(messages, ['utf8'])
  t.is(code, 1000)
})
