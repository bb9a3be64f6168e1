// Client-side code as `@types/websocket` users write it (names from DefinitelyTyped types/websocket), compiled
// against ferrosocket by __test__/types-client.spec.ts. It must compile unchanged; it is never run.
import * as WebSocket from '../../ts/index.js'
import {
  client as WebSocketClient,
  router as WebSocketRouter,
  server as WebSocketServer,
  w3cwebsocket as W3CWebSocket,
  type IClientConfig,
  type ICloseEvent,
  type IMessageEvent,
  type IRouterConfig,
  type Message,
  type connection,
} from '../../ts/index.js'
import http from 'node:http'

const config: IClientConfig = {
  maxReceivedFrameSize: 0x100000,
  maxReceivedMessageSize: 0x800000,
  fragmentOutgoingMessages: true,
  fragmentationThreshold: 0x4000,
  webSocketVersion: 13,
  assembleFragments: true,
  closeTimeout: 5000,
  tlsOptions: { rejectUnauthorized: false },
}

export function echoClient(): void {
  const client = new WebSocketClient(config)
  client.on('connectFailed', (error: Error) => {
    console.log('Connect Error: ' + error.toString())
  })
  client.on('httpResponse', (response: http.IncomingMessage, c: WebSocketClient) => {
    console.log(response.statusCode, c === client)
  })
  client.on('connect', (conn: connection) => {
    conn.on('error', (error: Error) => console.log('Connection Error: ' + error.toString()))
    conn.on('close', (code: number, desc: string) => console.log('closed', code, desc))
    conn.on('message', (message: Message) => {
      if (message.type === 'utf8') console.log("Received: '" + message.utf8Data + "'")
      else if (message.type === 'binary') console.log(message.binaryData?.length)
    })
    conn.sendUTF('hello')
    conn.sendBytes(Buffer.from([1, 2, 3]))
    conn.close()
  })
  client.connect('ws://localhost:8080/', 'echo-protocol')
  client.connect('ws://localhost:8080/', ['a', 'b'], 'http://origin', { Authorization: 'Bearer x' }, { timeout: 1 })
  client.abort()
}

export function browserStyle(): void {
  const ws = new W3CWebSocket('ws://localhost:8080/', 'echo-protocol')
  const state: number = ws.readyState
  if (state === W3CWebSocket.OPEN || state === ws.CONNECTING) console.log(ws.url, ws.protocol, ws.bufferedAmount)
  ws.onerror = () => console.log('Connection Error')
  ws.onopen = () => {
    ws.send('text')
    ws.send(new Uint8Array([1, 2]).buffer)
    ws.send(Buffer.from('x'))
    ws.send(new Uint8Array(4))
  }
  ws.onclose = (event: ICloseEvent) => console.log(event.code, event.reason, event.wasClean)
  ws.onmessage = (e: IMessageEvent) => {
    if (typeof e.data === 'string') console.log("Received: '" + e.data + "'")
  }
  ws.binaryType = 'arraybuffer'
  ws.close(1000, 'bye')
}

export function routed(httpServer: http.Server): void {
  const wsServer = new WebSocketServer({ httpServer })
  const routerConfig: IRouterConfig = { server: wsServer }
  const router = new WebSocketRouter(routerConfig)
  router.attachServer(wsServer)
  router.mount('*', 'echo-protocol', (request) => {
    const conn: connection = request.accept(request.origin)
    conn.on('message', (m: WebSocket.Message) => {
      if (m.type === 'utf8' && m.utf8Data !== undefined) conn.sendUTF(m.utf8Data)
    })
  })
  router.mount(/^\/rooms\/\d+$/, null, (request) => request.reject(404, 'nope'))
  router.unmount('*', 'echo-protocol')
  router.detachServer()
}

export const namespaceStyle: typeof WebSocket.client = WebSocket.client
