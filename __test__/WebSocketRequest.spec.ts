// WebSocketRequest used standalone, from an application's own 'upgrade' handler (no WebSocketServer).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Socket } from 'node:net'
import test from 'ava'
import { WebSocketRequest, type HandshakeError } from '../ts/WebSocketRequest.js'
import type { IServerConfig } from '../ts/WebSocketServer.js'
import {
  SAMPLE_ACCEPT,
  handshake,
  headersComplete,
  maskedFrame,
  nextEvent,
  rawExchange,
} from './helpers/server-harness.js'

async function upgradeServer(
  t: { teardown(fn: () => void | Promise<void>): void },
  onUpgrade: (req: http.IncomingMessage, socket: Socket, head: Buffer) => void,
): Promise<number> {
  const server = http.createServer()
  server.on('upgrade', (req, socket, head) => onUpgrade(req, socket as Socket, head))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return (server.address() as AddressInfo).port
}

const config = { keepalive: false } as unknown as IServerConfig

test('standalone: readHandshake + accept() completes the handshake and delivers the pipelined frame', async (t) => {
  let message: Promise<unknown[]> | undefined
  const port = await upgradeServer(t, (req, socket, head) => {
    const request = new WebSocketRequest(socket, req, config, head)
    request.readHandshake()
    const connection = request.accept()
    message = nextEvent(connection, 'message')
    t.teardown(() => connection.drop(1001, 'test over', true))
  })
  const payload = Buffer.concat([Buffer.from(handshake()), maskedFrame(0x82, Buffer.from('0102', 'hex'))])
  const res = await rawExchange(t, port, payload, headersComplete)
  t.is(
    res.text,
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`,
  )
  const [m] = (await (message as Promise<unknown[]>)) as [{ type: string; binaryData: Buffer }]
  t.is(m.type, 'binary')
  t.is(m.binaryData.toString('hex'), '0102')
})

test('standalone: readHandshake throws HandshakeError with httpCode (and headers for 426)', async (t) => {
  const errors: HandshakeError[] = []
  const port = await upgradeServer(t, (req, socket) => {
    const request = new WebSocketRequest(socket, req, config)
    try {
      request.readHandshake()
    } catch (e) {
      errors.push(e as HandshakeError)
      request.reject((e as HandshakeError).httpCode, (e as Error).message, (e as HandshakeError).headers)
    }
  })
  await rawExchange(t, port, handshake({ headers: { 'Sec-WebSocket-Version': '7' } }))
  await rawExchange(t, port, handshake({ headers: { 'Sec-WebSocket-Key': 'AAAA' } }))
  t.is(errors[0]?.httpCode, 426)
  t.deepEqual(errors[0]?.headers, { 'Sec-WebSocket-Version': '13, 8' })
  t.is(errors[0]?.message, 'Unsupported websocket client version: 7Only versions 8 and 13 are supported.')
  t.is(errors[1]?.httpCode, 400)
  t.is(errors[1]?.headers, undefined)
})

test('standalone: cookies and extensions are parsed only when the config asks (as WebSocket-Node)', async (t) => {
  const seen: WebSocketRequest[] = []
  const port = await upgradeServer(t, (req, socket) => {
    const request = new WebSocketRequest(socket, req, config)
    request.readHandshake()
    seen.push(request)
    request.reject()
  })
  await rawExchange(t, port, handshake({ headers: { Cookie: 'a=1', 'Sec-WebSocket-Extensions': 'x' } }))
  t.deepEqual(seen[0]?.cookies, [])
  t.deepEqual(seen[0]?.requestedExtensions, [])
})
