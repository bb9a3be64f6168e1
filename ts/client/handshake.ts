/**
 * Client side of the RFC 6455 §4.1 opening handshake: the pieces of `WebSocketClient.connect` that are pure
 * functions (URL normalisation, subprotocol validation, nonce, request headers, response validation), kept apart
 * so they can be read against the RFC and tested without sockets.
 */
import { Buffer } from 'node:buffer'
import { randomFillSync } from 'node:crypto'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { parse as parseLegacyUrl, type Url } from 'node:url'
import { checkResponse } from '../deflate/negotiate.js'
import type { ResolvedDeflateOptions } from '../deflate/negotiate.js'
import type { IRequestedExtension } from '../handshake/extensions.js'
import { computeAcceptKey } from '../handshake/response.js'

/** RFC 2616 separators; a subprotocol is a token (RFC 6455 §4.1 item 10), so none of these may appear in it. */
const SEPARATORS = '()<>@,;:\\"/[]?={} \t'

/** The parts of a `ws:`/`wss:` URL the handshake needs. */
export interface TargetUrl {
  /**
   * What the original stores as `client.url`: the `url.parse` result (a legacy `Url` with `host`, `hostname`,
   * `port`, `pathname`, `path`, `query`, `href`, …), `port` filled with the scheme's default when the URL has none.
   * A legacy `Url` object passed in is kept as is (the same object, as in the original); a WHATWG `URL` is parsed
   * from its `href`.
   */
  legacy: Url
  protocol: string
  /** Host name for `http.request` (IPv6 literals without brackets). */
  hostname: string
  /** Host as it goes into the `Host` header (IPv6 literals in brackets). */
  hostForHeader: string
  port: string
  /** Path and query, always starting with `/`; the fragment is dropped (RFC 6455 §3: fragments are not allowed). */
  path: string
  secure: boolean
}

/** What `connect` accepts as a URL: a string, a legacy `url.parse` result, or a WHATWG `URL`. */
export type RequestUrl = string | Url | URL

/**
 * Normalise the URL given to `connect`. Strings go through the legacy `url.parse`, as in WebSocket-Node, so that
 * `url.Url` objects and strings behave the same; WHATWG `URL` objects are accepted too.
 * Throws the original's two messages for a missing scheme or host.
 */
export function parseTargetUrl(requestUrl: RequestUrl): TargetUrl {
  let protocol: string | null | undefined
  let hostname: string | null | undefined
  let host: string | null | undefined
  let port: string | null | undefined
  let path: string
  let legacy: Url
  if (requestUrl instanceof URL) {
    legacy = parseLegacyUrl(requestUrl.href)
    protocol = requestUrl.protocol
    hostname = requestUrl.hostname
    host = requestUrl.host
    port = requestUrl.port
    path = (requestUrl.pathname || '/') + requestUrl.search
  } else {
    const u = typeof requestUrl === 'string' ? parseLegacyUrl(requestUrl) : requestUrl
    legacy = u
    protocol = u.protocol
    hostname = u.hostname
    host = u.host
    port = u.port
    if (u.pathname) path = u.path ?? u.pathname
    else if (u.path) path = '/' + u.path
    else path = '/'
  }
  if (!protocol) throw new Error('You must specify a full WebSocket URL, including protocol.')
  if (!host || !hostname) {
    throw new Error('You must specify a full WebSocket URL, including hostname. Relative URLs are not supported.')
  }
  // `https:` is treated like `wss:` (ws does the same); the original only knew `wss:` and sent https URLs in clear.
  const secure = protocol === 'wss:' || protocol === 'https:'
  const defaultPort = secure ? '443' : '80'
  if (!port) port = defaultPort
  // The original fills in the default port on the object it keeps (`this.url.port = defaultPorts[protocol]`).
  if (!legacy.port) {
    try {
      legacy.port = port
    } catch {
      // A frozen Url passed in: the original (sloppy-mode code) silently left it as it was.
    }
  }
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  const bracketed = bare.includes(':') ? `[${bare}]` : bare
  return {
    legacy,
    protocol,
    hostname: bare,
    hostForHeader: port === defaultPort ? bracketed : `${bracketed}:${port}`,
    port,
    path,
    secure,
  }
}

/**
 * Normalise the `protocols` argument as the original does (a string is a one-item list, `''` or a non-array is
 * none) and check every item is an RFC 2616 token, with the original's message.
 */
export function normalizeProtocols(protocols: unknown): string[] {
  let list: unknown[]
  if (typeof protocols === 'string') list = protocols.length > 0 ? [protocols] : []
  else if (Array.isArray(protocols)) list = protocols
  else list = []
  const out: string[] = []
  for (const item of list) {
    const p = String(item)
    for (let i = 0; i < p.length; i++) {
      const code = p.charCodeAt(i)
      if (code < 0x21 || code > 0x7e || SEPARATORS.includes(p.charAt(i))) {
        throw new Error(`Protocol list contains invalid character "${p.charAt(i)}"`)
      }
    }
    // An empty item would send `Sec-WebSocket-Protocol: a, ` — not a token list (RFC 6455 §4.1 item 10).
    if (p.length === 0) throw new Error('Protocol list contains an empty protocol name')
    out.push(p)
  }
  return out
}

/**
 * The 16-byte handshake nonce, base64, from the CSPRNG. RFC 6455 §4.1 item 7 asks for a random nonce; the original
 * used a non-cryptographic PRNG.
 */
export function makeNonce(): string {
  return randomFillSync(Buffer.alloc(16)).toString('base64')
}

function findHeader(headers: OutgoingHttpHeaders, name: string): string | undefined {
  const lower = name.toLowerCase()
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) return key
  return undefined
}

/** Inputs of `buildRequestHeaders`. */
export interface HeaderInputs {
  target: TargetUrl
  version: number
  nonce: string
  protocols: string[]
  origin: string | undefined
  userHeaders: OutgoingHttpHeaders | undefined
  tlsHeaders: OutgoingHttpHeaders | undefined
  /** `Sec-WebSocket-Extensions` offer (permessage-deflate, when configured). */
  extensions?: string | undefined
}

/**
 * Request headers in the original's order of precedence: `tlsOptions.headers` (wss only), then the caller's
 * headers, then the handshake headers, which always win. A caller's `Host` (any case; the original only saw the
 * exact key `Host`) replaces the computed one. `Host` goes first (RFC 9110 §7.2: "a user agent that sends Host
 * SHOULD send it as the first field"); the others follow in the original's order.
 */
export function buildRequestHeaders(inp: HeaderInputs): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {}
  const merge = (src: OutgoingHttpHeaders | undefined): void => {
    if (!src) return
    for (const [k, v] of Object.entries(src)) {
      const existing = findHeader(headers, k)
      if (existing !== undefined) delete headers[existing]
      headers[k] = v
    }
  }
  if (inp.target.secure) merge(inp.tlsHeaders)
  merge(inp.userHeaders)
  const hostKey = findHeader(headers, 'Host')
  const userHost = hostKey === undefined ? undefined : headers[hostKey]
  if (hostKey !== undefined) delete headers[hostKey]
  const forced: OutgoingHttpHeaders = {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': String(inp.version),
    'Sec-WebSocket-Key': inp.nonce,
  }
  if (inp.protocols.length > 0) forced['Sec-WebSocket-Protocol'] = inp.protocols.join(', ')
  if (inp.origin) forced[inp.version === 13 ? 'Origin' : 'Sec-WebSocket-Origin'] = inp.origin
  if (inp.extensions) forced['Sec-WebSocket-Extensions'] = inp.extensions
  merge(forced)
  // Key order is wire order (Node's http writes an object's headers in that order).
  return { Host: userHost !== undefined && userHost !== '' ? userHost : inp.target.hostForHeader, ...headers }
}

/** Does a comma-separated header value contain `token` (case-insensitive, RFC 7230 §3.2.6 / §6.1)? */
export function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false
  const joined = Array.isArray(value) ? value.join(',') : value
  const want = token.toLowerCase()
  return joined.split(',').some((t) => t.trim().toLowerCase() === want)
}

/** Outcome of `validateResponse`: the accepted subprotocol, or the reason to fail. */
export type HandshakeCheck =
  | { ok: true; protocol: string | undefined; extension?: IRequestedExtension }
  | { ok: false; message: string }

/**
 * Check a 101 response against RFC 6455 §4.1 items 1–6 (the "MUST _Fail the WebSocket Connection_" list).
 * Messages are the original's where the original checks the same thing.
 */
export function validateResponse(
  headers: IncomingHttpHeaders,
  nonce: string,
  protocols: string[],
  deflate: ResolvedDeflateOptions | null = null,
): HandshakeCheck {
  const fail = (message: string): HandshakeCheck => ({ ok: false, message })
  // Checked in the original's order (protocol, Connection, Upgrade, accept) so the same bad response gives the same
  // message. §4.1 item 6: a protocol the client did not request fails; no header at all means the server chose
  // none, which browsers accept (the original failed with 'Expected a Sec-WebSocket-Protocol header.', issue #92).
  const chosen = headers['sec-websocket-protocol']
  if (chosen !== undefined && !protocols.includes(chosen)) {
    return fail('Server did not respond with a requested protocol.')
  }
  // §4.1 item 3: a token list containing "upgrade"; the original demanded exactly `Upgrade` (issue #176).
  if (!hasToken(headers.connection, 'upgrade')) return fail('Expected a Connection: Upgrade header from the server')
  const upgrade = headers.upgrade
  if (!(typeof upgrade === 'string' && upgrade.trim().toLowerCase() === 'websocket')) {
    return fail('Expected an Upgrade: websocket header from the server')
  }
  const accept = headers['sec-websocket-accept']
  if (!accept) return fail('Expected Sec-WebSocket-Accept header from server')
  // RFC 6455 §4.2.2 item 5.4: what the server must answer for our nonce.
  const expected = computeAcceptKey(nonce)
  if (accept !== expected) {
    return fail(`Sec-WebSocket-Accept header from server didn't match expected value of ${expected}`)
  }
  // §4.1 item 5: only permessage-deflate can be in use, only when offered, and exactly as offered (RFC 7692 §7.1).
  const ext = checkResponse(headers['sec-websocket-extensions'], deflate)
  if (!ext.ok) return fail(ext.message)
  if (ext.extension === null) return { ok: true, protocol: chosen }
  return { ok: true, protocol: chosen, extension: ext.extension }
}
