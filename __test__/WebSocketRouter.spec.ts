// WebSocketRouter dispatch rules (WebSocket-Node semantics): exact anchored string paths, RegExp paths, '*' for any
// path or protocol, protocol order from the client, one handler per path+protocol, 404 text. The dispatch logic
// is tested with a recording stand-in for WebSocketRequest; the end-to-end file runs it behind a real server.
import { EventEmitter } from 'node:events'
import { parse } from 'node:url'
import test from 'ava'
import { WebSocketRouter, WebSocketRouterRequest } from '../ts/WebSocketRouter.js'
import type { WebSocketRequest } from '../ts/WebSocketRequest.js'
import type { WebSocketServer } from '../ts/WebSocketServer.js'

interface FakeRequest {
  requestedProtocols: string[]
  resourceURL: ReturnType<typeof parse>
  rejected: Array<[number | undefined, string | undefined]>
  accepted: unknown[][]
  origin: string
  resource: string
  httpRequest: object
  remoteAddress: string
  webSocketVersion: number
  requestedExtensions: unknown[]
  cookies: unknown[]
  reject(status?: number, reason?: string): void
  accept(...args: unknown[]): string
}

function fakeRequest(resource: string, protocols: string[] = []): FakeRequest {
  return {
    requestedProtocols: protocols.map((p) => p.toLowerCase()),
    resourceURL: parse(resource, true),
    rejected: [],
    accepted: [],
    origin: 'http://origin.example',
    resource,
    httpRequest: { marker: true },
    remoteAddress: '127.0.0.1',
    webSocketVersion: 13,
    requestedExtensions: [{ name: 'x', params: [] }],
    cookies: [{ name: 'a', value: 'b' }],
    reject(status, reason) {
      this.rejected.push([status, reason])
    },
    accept(...args) {
      this.accepted.push(args)
      return 'the-connection'
    },
  }
}

const asRequest = (r: FakeRequest): WebSocketRequest => r as unknown as WebSocketRequest

/** Dispatch `resource`/`protocols` and return which handler name ran (and with which protocol), or the 404. */
function route(router: WebSocketRouter, resource: string, protocols: string[] = []): string {
  const req = fakeRequest(resource, protocols)
  lastHit = ''
  router.handleRequest(asRequest(req))
  if (req.rejected.length > 0) return `reject ${req.rejected[0]![0]} ${req.rejected[0]![1]}`
  return lastHit
}

let lastHit = ''
function handler(name: string) {
  return (r: WebSocketRouterRequest): void => {
    lastHit = `${name}:${r.protocol}`
  }
}

test('string paths are exact, anchored and escaped; query strings are ignored', (t) => {
  const router = new WebSocketRouter()
  router.mount('/chat', null, handler('chat'))
  router.mount('/a.b+c', null, handler('special'))
  t.is(route(router, '/chat'), 'chat:null')
  t.is(route(router, '/chat?room=1'), 'chat:null')
  t.is(route(router, '/chat/x'), 'reject 404 No handler is available for the given request.')
  t.is(route(router, '/chatroom'), 'reject 404 No handler is available for the given request.')
  t.is(route(router, '/xchat'), 'reject 404 No handler is available for the given request.')
  t.is(route(router, '/a.b+c'), 'special:null')
  t.is(route(router, '/aXb+c'), 'reject 404 No handler is available for the given request.')
  t.is(route(router, '/a.bbc'), 'reject 404 No handler is available for the given request.')
})

test('RegExp paths are used as given (a global RegExp matches every time)', (t) => {
  const router = new WebSocketRouter()
  router.mount(/^\/rooms\/\d+$/g, null, handler('room'))
  t.is(route(router, '/rooms/42'), 'room:null')
  t.is(route(router, '/rooms/42'), 'room:null')
  t.is(route(router, '/rooms/x'), 'reject 404 No handler is available for the given request.')
})

test("'*' matches any path; '*' protocol matches any protocol and none", (t) => {
  const router = new WebSocketRouter()
  router.mount('*', '*', handler('any'))
  t.is(route(router, '/whatever/deep'), 'any:null')
  t.is(route(router, '/x', ['Foo']), 'any:foo')
})

test('protocol dispatch follows the client order, case-insensitively; a null protocol means "none requested"', (t) => {
  const router = new WebSocketRouter()
  router.mount('/s', 'chat', handler('chat'))
  router.mount('/s', 'Echo', handler('echo'))
  router.mount('/s', null, handler('plain'))
  t.is(route(router, '/s', ['echo', 'chat']), 'echo:echo')
  t.is(route(router, '/s', ['CHAT', 'echo']), 'chat:chat')
  t.is(route(router, '/s', ['unknown', 'Echo']), 'echo:echo')
  t.is(route(router, '/s'), 'plain:null')
  t.is(route(router, '/s', ['unknown']), 'reject 404 No handler is available for the given request.')
})

test('the first mounted handler that matches wins', (t) => {
  const router = new WebSocketRouter()
  router.mount(/^\/a/, 'p', handler('regexp'))
  router.mount('/a', 'p', handler('exact'))
  t.is(route(router, '/a', ['p']), 'regexp:p')
})

test('one handler per path+protocol, with the original error texts', (t) => {
  const router = new WebSocketRouter()
  router.mount('/x', 'chat', handler('a'))
  t.throws(() => router.mount('/x', 'CHAT', handler('b')), {
    message: 'You may only mount one handler per path/protocol combination.',
  })
  t.notThrows(() => router.mount('/x', 'other', handler('c')))
  t.notThrows(() => router.mount('/x', null, handler('d')))
  t.throws(() => router.mount('/x', undefined, handler('e')), {
    message: 'You may only mount one handler per path/protocol combination.',
  })
  t.throws(() => router.mount('', 'p', handler('f')), { message: 'You must specify a path for this handler.' })
  t.throws(() => router.mount('/y', 'p', undefined as unknown as () => void), {
    message: 'You must specify a callback for this handler.',
  })
  t.throws(() => router.mount(42 as unknown as string, 'p', handler('g')), {
    message: 'Path must be specified as either a string or a RegExp.',
  })
})

test('unmount removes a route; unknown routes throw; a missing protocol means the no-protocol route', (t) => {
  const router = new WebSocketRouter()
  router.mount('/x', 'chat', handler('a'))
  router.mount('/x', null, handler('b'))
  router.unmount('/x', 'Chat')
  t.is(route(router, '/x', ['chat']), 'reject 404 No handler is available for the given request.')
  t.throws(() => router.unmount('/x', 'chat'), {
    message: 'Unable to find a route matching the specified path and protocol.',
  })
  router.unmount('/x')
  t.is(router.handlers.length, 0)
})

test('attachServer / detachServer listen to the server request event, with the original errors', (t) => {
  const server = new EventEmitter() as unknown as WebSocketServer
  const router = new WebSocketRouter({ server })
  t.is((server as unknown as EventEmitter).listenerCount('request'), 1)
  t.is(router.server, server)
  router.mount('/p', null, handler('p'))
  lastHit = ''
  ;(server as unknown as EventEmitter).emit('request', fakeRequest('/p'))
  t.is(lastHit, 'p:null')
  router.detachServer()
  t.is((server as unknown as EventEmitter).listenerCount('request'), 0)
  t.throws(() => router.detachServer(), { message: 'Cannot detach from server: not attached.' })
  t.throws(() => router.attachServer(undefined as unknown as WebSocketServer), {
    message: 'You must specify a WebSocketServer instance to attach to.',
  })
})

test('WebSocketRouterRequest copies the request fields; accept(origin, cookies) uses the routed protocol', (t) => {
  const req = fakeRequest('/r?q=1', ['Chat'])
  const rr = new WebSocketRouterRequest(asRequest(req), 'chat')
  t.like(rr, {
    protocol: 'chat',
    origin: 'http://origin.example',
    resource: '/r?q=1',
    remoteAddress: '127.0.0.1',
    webSocketVersion: 13,
  })
  t.is(rr.httpRequest, req.httpRequest as never)
  t.is(rr.resourceURL.pathname, '/r')
  t.deepEqual(rr.requestedExtensions, req.requestedExtensions as never)
  t.deepEqual(rr.cookies, req.cookies as never)
  t.is(rr.webSocketRequest, asRequest(req))
  const events: unknown[] = []
  rr.on('requestAccepted', (c) => events.push(c))
  const cookies = [{ name: 'n', value: 'v' }]
  t.is(rr.accept('http://o', cookies) as unknown, 'the-connection')
  t.deepEqual(req.accepted, [['chat', 'http://o', cookies]])
  t.deepEqual(events, ['the-connection'])
})

test('WebSocketRouterRequest.reject forwards and emits requestRejected; no protocol → null', (t) => {
  const req = fakeRequest('/r')
  const rr = new WebSocketRouterRequest(asRequest(req), '____no_protocol____')
  t.is(rr.protocol, null)
  let rejected: unknown
  rr.on('requestRejected', (r) => (rejected = r))
  rr.reject(401, 'who are you')
  t.deepEqual(req.rejected, [[401, 'who are you']])
  t.is(rejected, rr)
})
