// An application written for `websocket` + `@types/websocket` 1.0.10 under `strict`: WebSocket-Node's README server,
// router and client, plus the properties such code reads. types-dropin.spec.ts compiles this very file twice —
// against @types/websocket (proving it is valid code for those types) and with `websocket` mapped to ferrosocket —
// and both must pass. Nothing here may be adapted to ferrosocket; it is never run.
import * as http from 'node:http'
import * as WebSocket from 'websocket'
import {
  client as WebSocketClient,
  connection as WebSocketConnection,
  frame as WebSocketFrame,
  router as WebSocketRouter,
  server as WebSocketServer,
  w3cwebsocket as W3CWebSocket,
  type connection,
  type ICloseEvent,
  type ICookie,
  type IMessageEvent,
  type IRouterRequest,
  type IServerConfig,
  type Message,
  type request,
} from 'websocket'

// --- WebSocket-Node README: server ---
const server = http.createServer((req, response) => {
  console.log(new Date() + ' Received request for ' + req.url)
  response.writeHead(404)
  response.end()
})
server.listen(8080, () => console.log(new Date() + ' Server is listening on port 8080'))

const wsServer = new WebSocketServer({ httpServer: server, autoAcceptConnections: false })

function originIsAllowed(origin: string): boolean {
  return origin === 'http://localhost:8080'
}

wsServer.on('request', (request: request) => {
  if (!originIsAllowed(request.origin)) {
    request.reject()
    console.log(new Date() + ' Connection from origin ' + request.origin + ' rejected.')
    return
  }
  const connection = request.accept('echo-protocol', request.origin)
  console.log(new Date() + ' Connection accepted.')
  connection.on('message', (message) => {
    if (message.type === 'utf8') {
      console.log('Received Message: ' + message.utf8Data)
      connection.sendUTF(message.utf8Data)
    } else if (message.type === 'binary') {
      console.log('Received Binary Message of ' + message.binaryData.length + ' bytes')
      connection.sendBytes(message.binaryData)
    }
  })
  connection.on('close', (reasonCode, description) => {
    console.log(new Date() + ' Peer ' + connection.remoteAddress + ' disconnected.', reasonCode, description)
  })
})

// --- what such servers read off requests and connections ---
wsServer.on('request', (req) => {
  const host: string = req.host
  const resource: string = req.resource
  const room = req.resourceURL.query['room']
  const ip: string = req.remoteAddress
  const ips: string[] = req.remoteAddresses
  const version: number = req.webSocketVersion
  const protocols: string[] = req.requestedProtocols
  const key: string = req.key
  const cookies: ICookie[] = req.cookies
  const ext: number = req.requestedExtensions.length
  const header = req.httpRequest.headers['user-agent']
  console.log(host, resource, room, ip, ips, version, protocols, key, cookies, ext, header)
  req.on('requestAccepted', (c: connection) => c.sendUTF('hi'))
  req.on('requestRejected', (r) => console.log(r.resource))
  const setCookies: ICookie[] = [{ name: 'sid', value: 'x', path: '/', httponly: true, maxage: 60 }]
  const c = req.accept(null, req.origin, setCookies)
  const protocol: string = c.protocol
  const state: string = c.state
  const code: number = c.closeReasonCode
  const description: string = c.closeDescription
  const connected: boolean = c.connected
  const remote: string = c.remoteAddress
  const socketRemote = c.socket.remotePort
  const wsVersion: number = c.webSocketVersion
  console.log(protocol, state, code, description, connected, remote, socketRemote, wsVersion)
  c.on('frame', (f: WebSocketFrame) => console.log(f.opcode, f.fin, f.binaryPayload.length))
  c.on('ping', (cancel, data) => {
    if (data.length > 100) cancel()
  })
  c.on('pong', (data: Buffer) => console.log(data.length))
  c.on('error', (e: Error) => console.log(e.message))
  c.on('drain', () => c.resume())
  c.ping('x')
  c.pong(Buffer.from('x'))
  c.send('text', (err) => err && console.log(err.message))
  c.sendUTF('text', (err) => err && console.log(err.message))
  c.sendBytes(Buffer.alloc(1), (err) => err && console.log(err.message))
  c.pause()
  c.drop(WebSocketConnection.CLOSE_REASON_PROTOCOL_ERROR, 'bye')
  c.close(WebSocketConnection.CLOSE_REASON_NORMAL, 'bye')
})

wsServer.on('connect', (c: connection) => c.sendUTF(c.protocol))
wsServer.on('close', (c: connection, reason: number, desc: string) => console.log(c.remoteAddress, reason, desc))
const serverConfig: IServerConfig = { httpServer: server, maxReceivedFrameSize: 0x10000, keepalive: true }
wsServer.mount(serverConfig)
wsServer.broadcastUTF('all')
wsServer.broadcastBytes(Buffer.alloc(1))
console.log(wsServer.connections.length, wsServer.pendingRequests.length)
wsServer.shutDown()

// --- router ---
const router = new WebSocketRouter()
router.attachServer(wsServer)
router.mount('*', 'echo-protocol', (request: IRouterRequest) => {
  const origin: string = request.origin
  const protocol: string | null = request.protocol
  const connection = request.accept(request.origin)
  connection.on('message', (message: Message) => {
    if (message.type === 'utf8') connection.sendUTF(message.utf8Data)
  })
  console.log(origin, protocol, request.resource, request.resourceURL.pathname, request.remoteAddress)
})
router.mount(/^\/chat\/\w+$/, null, (request) => request.reject(404, 'no such room'))
router.unmount('*', 'echo-protocol')
router.detachServer()

// --- WebSocket-Node README: client ---
const client = new WebSocketClient()
client.on('connectFailed', (error) => console.log('Connect Error: ' + error.toString()))
client.on('connect', (connection) => {
  console.log('WebSocket Client Connected')
  connection.on('error', (error) => console.log('Connection Error: ' + error.toString()))
  connection.on('close', () => console.log('echo-protocol Connection Closed'))
  connection.on('message', (message) => {
    if (message.type === 'utf8') console.log("Received: '" + message.utf8Data + "'")
  })
  function sendNumber() {
    if (connection.connected) {
      const number = Math.round(Math.random() * 0xffffff)
      connection.sendUTF(number.toString())
      setTimeout(sendNumber, 1000)
    }
  }
  sendNumber()
})
client.on('httpResponse', (response, c) => console.log(response.statusCode, c === client))
client.connect('ws://localhost:8080/', 'echo-protocol')
client.connect('ws://localhost:8080/', ['a', 'b'], 'http://localhost', { Authorization: 'x' }, { timeout: 1000 })
client.abort()

// --- W3C-style client (README) ---
const ws = new W3CWebSocket('ws://localhost:8080/', 'echo-protocol')
ws.onerror = () => console.log('Connection Error')
ws.onopen = () => {
  console.log('WebSocket Client Connected')
  if (ws.readyState === ws.OPEN) ws.send(Math.round(Math.random() * 0xffffff).toString())
}
ws.onclose = (e: ICloseEvent) => console.log('echo-protocol Client Closed', e.code, e.reason, e.wasClean)
ws.onmessage = (e: IMessageEvent) => {
  if (typeof e.data === 'string') console.log("Received: '" + e.data + "'")
}
console.log(W3CWebSocket.OPEN, ws.url, ws.protocol, ws.bufferedAmount)
ws.close()

// --- namespace style, frames, constants, deprecation, version ---
const f = new WebSocket.frame()
f.opcode = 0x01
f.fin = true
f.binaryPayload = Buffer.from('x')
const wire: Buffer = f.toBuffer(true)
const why: string = f.dropReason
console.log(why)
const descriptions: string | undefined = WebSocket.connection.CLOSE_DESCRIPTIONS[1000]
WebSocket.deprecation.disableWarnings = true
const v: string = WebSocket.version
console.log(wire.length, descriptions, v, WebSocketConnection.CLOSE_REASON_GOING_AWAY)
