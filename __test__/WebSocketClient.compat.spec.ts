/**
 * The client against websocket@1.0.35 on what a migrating application can observe before any byte comes back:
 * `client.url` (the original keeps the `url.parse` result) and the handshake request's header order (ours puts
 * `Host` first, RFC 9110 §7.2, then the original's order).
 */
import { once } from 'node:events'
import { createRequire } from 'node:module'
import net from 'node:net'
import { parse as parseUrl, type Url } from 'node:url'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { WebSocketClient } from '../ts/WebSocketClient.js'

const require = createRequire(import.meta.url)
/** node:url's legacy Url class (typed as an interface only). */
const UrlClass = parseUrl('ws://x/').constructor
type AnyClient = NodeJS.EventEmitter & { url: unknown; connect(...a: unknown[]): void; abort(): void }
const Original = (require('websocket') as { client: new () => AnyClient }).client
const impls: Array<[string, () => AnyClient]> = [
  ['original', () => new Original()],
  ['ours', () => new WebSocketClient() as unknown as AnyClient],
]

/** A TCP server that records the first request it gets and closes. */
async function recorder(t: ExecutionContext): Promise<{ port: number; next: () => Promise<string> }> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const next = () =>
    new Promise<string>((resolve) => {
      server.once('connection', (s: net.Socket) => {
        let got = ''
        s.on('data', (d: Buffer) => {
          got += d.toString('latin1')
          if (got.includes('\r\n\r\n')) {
            s.destroy()
            resolve(got)
          }
        })
      })
    })
  return { port: (server.address() as net.AddressInfo).port, next }
}

/** Header names in wire order, with values where they do not vary (the key is random). */
function headerLines(request: string): string[] {
  return request
    .split('\r\n\r\n')[0]!
    .split('\r\n')
    .slice(1)
    .map((l) => (l.startsWith('Sec-WebSocket-Key:') ? 'Sec-WebSocket-Key: *' : l))
}

async function requestOf(
  rec: { port: number; next: () => Promise<string> },
  make: () => AnyClient,
  ...args: unknown[]
): Promise<string[]> {
  const { port, next } = rec
  const got = next()
  const c = make()
  c.on('connectFailed', () => {})
  c.connect(`ws://127.0.0.1:${port}/chat?room=1`, ...args)
  const lines = headerLines(await got)
  c.abort()
  return lines
}

const HEADER_CASES: Array<[string, unknown[]]> = [
  ['no extra headers', []],
  ['protocols and origin', [['chat', 'superchat'], 'http://page.example']],
  ['extra headers including Host', [['chat'], 'http://page.example', { 'X-Token': 'abc', Host: 'front.example' }]],
  ['extra headers without Host', [null, null, { 'X-Token': 'abc', Cookie: 'a=1' }]],
]

for (const [name, args] of HEADER_CASES) {
  test(`handshake request: Host first, then websocket@1.0.35's headers in its order (${name})`, async (t) => {
    const rec = await recorder(t)
    const original = await requestOf(rec, impls[0]![1], ...args)
    const ours = await requestOf(rec, impls[1]![1], ...args)
    t.regex(ours[0]!, /^Host: /)
    const host = original.find((l) => l.startsWith('Host: '))
    t.truthy(host)
    t.deepEqual(ours, [host!, ...original.filter((l) => l !== host)])
  })
}

/** A plain copy of a Url's own keys: what JSON, spread and Object.keys see. */
const shape = (u: unknown) => ({ ...(u as object) })

const URLS = [
  'ws://127.0.0.1:9/chat?room=1#frag',
  'ws://127.0.0.1/',
  'wss://127.0.0.1/secure/path',
  'ws://user:pw@127.0.0.1:9/a',
  'ws://[::1]:9/v6',
  'ws://127.0.0.1:9',
]

for (const url of URLS) {
  test(`client.url after connect('${url}') has websocket@1.0.35's shape and values`, (t) => {
    const got: Record<string, unknown> = {}
    for (const [name, make] of impls) {
      const c = make()
      c.on('connectFailed', () => {})
      c.connect(url)
      got[name] = c.url
      t.true(c.url instanceof UrlClass, name)
      c.abort()
    }
    t.deepEqual(shape(got.ours), shape(got.original))
    t.truthy((got.ours as Url).host)
  })
}

test('client.url keeps a url.parse object passed to connect (the same object, port filled in, as the original)', (t) => {
  for (const [name, make] of impls) {
    const parsed = parseUrl('ws://127.0.0.1/x')
    const c = make()
    c.on('connectFailed', () => {})
    c.connect(parsed)
    t.is(c.url, parsed, name)
    t.is(parsed.port, '80', name)
    c.abort()
  }
})

test('client.url for a WHATWG URL (ours only; the original needed url.parse objects) has the same shape', (t) => {
  const c = new WebSocketClient()
  c.on('connectFailed', () => {})
  c.connect(new URL('ws://127.0.0.1:9/p?q=1'))
  t.deepEqual(shape(c.url), shape(parseUrl('ws://127.0.0.1:9/p?q=1')))
  c.abort()
})

test('a frozen url.parse object is accepted as the original accepts it (port left as it was)', (t) => {
  const frozen = Object.freeze(parseUrl('ws://127.0.0.1:9/x'))
  const c = new WebSocketClient()
  c.on('connectFailed', () => {})
  t.notThrows(() => c.connect(Object.freeze(parseUrl('ws://127.0.0.1/x'))))
  c.abort()
  c.connect(frozen)
  t.is(c.url, frozen)
  c.abort()
})
