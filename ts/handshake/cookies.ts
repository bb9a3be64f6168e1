/**
 * Cookies on the handshake: parsing the request's `Cookie` header, and validating + formatting the
 * `Set-Cookie` lines of a 101 response exactly as WebSocket-Node does (RFC 6265 §4.1.1, RFC 2616 §2.2).
 */
import { splitList } from './split.js'

/** A cookie to set in the 101 response (`WebSocketRequest.accept`'s third argument). */
export interface ICookie {
  name: string
  value: string
  path?: string | undefined
  domain?: string | undefined
  expires?: Date | undefined
  /** Seconds; a number or a numeric string, must be > 0, rounded. */
  maxage?: number | string | undefined
  secure?: boolean | undefined
  httponly?: boolean | undefined
}

/**
 * A cookie sent by the client. At run time `value` is null for a pair without `=` (WebSocket-Node's shape); it is
 * declared `string`, as `@types/websocket` declares `request.cookies` (`ICookie[]`), so code written for those
 * types compiles unchanged.
 */
export interface IParsedCookie {
  name: string
  value: string
}

/** The `value` of a pair without `=`, as WebSocket-Node gives it (see IParsedCookie). */
const NO_VALUE = null as unknown as string

/**
 * WebSocket-Node's `parseCookies`: split on `;` or `,` plus spaces; trim name and value, strip one leading quote
 * (and the last character with it), then `decodeURIComponent`. A malformed `%` escape throws `URIError`
 * ('URI malformed'), which `readHandshake` lets through so the handshake is refused with 400.
 */
export function parseCookies(header: string | undefined): IParsedCookie[] {
  if (!header || typeof header !== 'string') return []
  return splitList(header, ';,', true).map((pair): IParsedCookie => {
    const eq = pair.indexOf('=')
    if (eq === -1) return { name: pair, value: NO_VALUE }
    let value = pair.slice(eq + 1).trim()
    if (value[0] === '"') value = value.slice(1, -1)
    return { name: pair.slice(0, eq).trim(), value: decodeURIComponent(value) }
  })
}

/** Characters WebSocket-Node removes from names and values, and refuses in path/domain: CTLs, space and `;`. */
function firstCtlOrSemicolon(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c <= 0x20 || c === 0x3b) return s[i]
  }
  return undefined
}
function stripCtlAndSemicolon(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0x20 && c !== 0x3b) out += s[i]
  }
  return out
}

/** Not allowed in a cookie name: CTL, space, `"(),/:;<=>?@[\]^{}` and DEL (WebSocket-Node's token check). */
function firstBadNameChar(name: string): string | undefined {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f || '"(),/:;<=>?@[\\]^{}'.includes(name[i] as string)) return name[i]
  }
  return undefined
}

/** RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E. */
function firstBadValueChar(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x21 || c > 0x7e || c === 0x22 || c === 0x2c || c === 0x3b || c === 0x5c) return value[i]
  }
  return undefined
}

/**
 * Validates `cookies` and returns one `Set-Cookie: name=value;Path=..;Domain=..;Expires=..;Max-Age=..;Secure;HttpOnly`
 * line (with CRLF) per cookie. Throws an Error with WebSocket-Node's message on the first problem; the caller
 * rejects the request with 500 first. The caller's cookie objects are not modified (the original rewrote
 * `name`/`value` in place). Duplicate detection uses a Set, so names like `__proto__` or `constructor` are not
 * mistaken for duplicates as with the original's plain-object map.
 */
export function formatSetCookies(cookies: unknown): string {
  if (!Array.isArray(cookies)) throw new Error('Value supplied for "cookies" argument must be an array.')
  const seen = new Set<string>()
  let lines = ''
  for (const cookie of cookies as unknown[]) {
    const c = (typeof cookie === 'object' && cookie !== null ? cookie : {}) as Partial<Record<keyof ICookie, unknown>>
    if (!c.name || !c.value) throw new Error('Each cookie to set must at least provide a "name" and "value"')
    const name = stripCtlAndSemicolon(String(c.name))
    const value = stripCtlAndSemicolon(String(c.value))
    if (seen.has(name)) throw new Error('You may not specify the same cookie name twice.')
    seen.add(name)

    let bad = firstBadNameChar(name)
    if (bad !== undefined) throw new Error(`Illegal character ${bad} in cookie name`)
    const quoted = value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"'
    bad = quoted && !value.slice(1, -1).includes('"') ? firstBadValueChar(value.slice(1, -1)) : firstBadValueChar(value)
    if (bad !== undefined) throw new Error(`Illegal character ${bad} in cookie value`)
    const parts = [`${name}=${value}`]

    if (c.path) {
      const path = String(c.path)
      bad = firstCtlOrSemicolon(path)
      if (bad !== undefined) throw new Error(`Illegal character ${bad} in cookie path`)
      parts.push(`Path=${path}`)
    }
    if (c.domain) {
      if (typeof c.domain !== 'string') throw new Error('Domain must be specified and must be a string.')
      bad = firstCtlOrSemicolon(c.domain)
      if (bad !== undefined) throw new Error(`Illegal character ${bad} in cookie domain`)
      parts.push(`Domain=${c.domain.toLowerCase()}`)
    }
    if (c.expires) {
      // Also refuses an Invalid Date, which the original wrote out as `Expires=Invalid Date`.
      if (!(c.expires instanceof Date) || Number.isNaN(c.expires.getTime()))
        throw new Error('Value supplied for cookie "expires" must be a valid date object')
      parts.push(`Expires=${c.expires.toUTCString()}`)
    }
    if (c.maxage) {
      const maxage = typeof c.maxage === 'string' ? parseInt(c.maxage, 10) : Number(c.maxage)
      if (!Number.isFinite(maxage) || maxage <= 0)
        throw new Error('Value supplied for cookie "maxage" must be a non-zero number')
      parts.push(`Max-Age=${Math.round(maxage).toString(10)}`)
    }
    if (c.secure) {
      if (typeof c.secure !== 'boolean') throw new Error('Value supplied for cookie "secure" must be of type boolean')
      parts.push('Secure')
    }
    if (c.httponly) {
      if (typeof c.httponly !== 'boolean')
        throw new Error('Value supplied for cookie "httponly" must be of type boolean')
      parts.push('HttpOnly')
    }
    lines += `Set-Cookie: ${parts.join(';')}\r\n`
  }
  return lines
}
