// WebSocketRouter behind our WebSocketServer, reached by our client: routing by path and protocol on the wire,
// and the router's 404.
import test from 'ava'
import { WebSocketClient } from '../ts/WebSocketClient.js'
import { WebSocketRouter } from '../ts/WebSocketRouter.js'
import { closeOf, connected, failed, nextEvent, outcome } from './helpers/client-events.js'
import { startOurServer } from './helpers/client-our-server.js'

test('routes by path and protocol; accept(origin) answers with the routed protocol; 404 otherwise', async (t) => {
  const { port, wsServer } = await startOurServer(t)
  const router = new WebSocketRouter({ server: wsServer })
  const seen: string[] = []
  router.mount('/echo', 'echo-protocol', (request) => {
    seen.push(`echo:${request.protocol}:${request.origin}`)
    const c = request.accept(request.origin)
    c.on('message', (m: { utf8Data?: string }) => c.sendUTF(m.utf8Data ?? ''))
  })
  router.mount(/^\/rooms\/\d+$/, null, (request) => {
    seen.push(`room:${request.resourceURL.pathname}:${request.protocol}`)
    request.accept()
  })

  const client = new WebSocketClient()
  const o = outcome(client)
  client.connect(`ws://127.0.0.1:${port}/echo`, ['nope', 'Echo-Protocol'], 'http://page.example')
  const connection = connected(await o)
  t.is(connection.protocol, 'Echo-Protocol')
  const got = nextEvent<[{ utf8Data: string }]>(connection, 'message')
  connection.sendUTF('routed')
  t.is((await got)[0].utf8Data, 'routed')
  const closed = closeOf(connection)
  connection.close()
  await closed

  const room = new WebSocketClient()
  const o2 = outcome(room)
  room.connect(`ws://127.0.0.1:${port}/rooms/7?x=1`)
  const rc = connected(await o2)
  rc.close()

  const lost = new WebSocketClient()
  const o3 = outcome(lost)
  lost.connect(`ws://127.0.0.1:${port}/echo`)
  const message = failed(await o3).message
  t.regex(message, /^Server responded with a non-101 status: 404 Not Found\n/)
  t.regex(message, /\nx-websocket-reject-reason: No handler is available for the given request\.\n/)
  t.deepEqual(seen, ['echo:echo-protocol:http://page.example', 'room:/rooms/7:null'])
})
