// Server code written the way @types/websocket users write it; only the import path differs. Compiled by
// types-server.spec.ts (and by the repo typecheck): a rename or a narrowed type breaks the build here.
import * as http from 'node:http'
import {
  server as WebSocketServer,
  request,
  connection,
  type IServerConfig,
  type IConfig,
  type ICookie,
  type IStringified,
  type Message,
  type IUtf8Message,
  type IBinaryMessage,
} from '../../ts/index.js'

const httpServer = http.createServer()
const base: IConfig = { maxReceivedFrameSize: 0x20000, closeTimeout: 1000 }
const config: IServerConfig = {
  ...base,
  httpServer: [httpServer],
  autoAcceptConnections: false,
  keepalive: true,
  keepaliveInterval: 30000,
  ignoreXForwardedFor: true,
}
const wsServer = new WebSocketServer(config)
const clients: connection[] = []

function originIsAllowed(origin: string): boolean {
  return origin === 'http://localhost:8080'
}

wsServer.on('request', (req: request) => {
  if (!req.origin || !originIsAllowed(req.origin)) {
    req.reject(403, 'Origin not allowed', { 'X-Why': 'origin' })
    return
  }
  const path: string | null = req.resourceURL.pathname
  const wantsChat: boolean = req.requestedProtocols.indexOf('chat') !== -1
  const cookies: ICookie[] = [{ name: 'seen', value: '1', maxage: 60, httponly: true, path: path ?? '/' }]
  const ip: string = req.remoteAddress
  const conn: connection = req.accept(wantsChat ? 'chat' : null, req.origin, cookies)
  clients.push(conn)
  conn.on('message', (message: Message) => {
    if (message.type === 'utf8') {
      const m: IUtf8Message = message
      conn.sendUTF(m.utf8Data)
    } else {
      const m: IBinaryMessage = message
      conn.sendBytes(m.binaryData)
    }
  })
  conn.on('close', (reasonCode: number, description: string) => {
    console.log(ip, conn.remoteAddress, reasonCode, description)
  })
  req.on('requestAccepted', (c: connection) => c.sendUTF('welcome'))
})

wsServer.on('connect', (c: connection) => c.sendUTF(String(c.protocol)))
wsServer.on('close', (c: connection, reason: number, description: string) => {
  console.log(c.closeReasonCode, reason, description)
})
wsServer.on('upgradeError', (error: Error) => console.error(error.message))

const stringified: IStringified = { toString: () => 'hi' }
wsServer.broadcast(stringified)
wsServer.broadcastUTF('everyone')
wsServer.broadcastBytes(Buffer.from([1, 2, 3]))
// Topics (ferrosocket): every kind of data publish accepts, the counts, and the adapter's event.
wsServer.on('connect', (c: connection) => {
  const joined: boolean = c.subscribe('room')
  const topics: string[] = c.topics
  const sent: number = c.publish('room', new Uint8Array([1])) + wsServer.publish('room', 'hi')
  console.log(joined, topics, sent, c.isSubscribed('room'), c.unsubscribe('room'), wsServer.subscriberCount('room'))
  wsServer.publish('room', new ArrayBuffer(2))
  wsServer.publish('room', Buffer.from('x'))
})
wsServer.on('adapterError', (error: Error) => console.error(error.message))
console.log(wsServer.connections.length, wsServer.pendingRequests.length, connection.CLOSE_REASON_NORMAL)
wsServer.unmount()
wsServer.closeAllConnections()
wsServer.shutDown()
