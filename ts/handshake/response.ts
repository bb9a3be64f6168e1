/** Raw HTTP responses on the upgrade socket: the 101 of RFC 6455 §4.2.2 and WebSocket-Node's rejections. */
import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import { STATUS_CODES } from 'node:http'

/** RFC 6455 §1.3: the GUID appended to the client's key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** `Sec-WebSocket-Accept` for a client key: base64(SHA-1(key + GUID)). */
export function computeAcceptKey(key: string): string {
  return createHash('sha1')
    .update(key + WEBSOCKET_GUID, 'latin1')
    .digest('base64')
}

/**
 * WebSocket-Node's status texts, kept for byte-identical rejections (some differ from Node's, e.g. 407, 413).
 * Codes it does not list fall back to Node's `STATUS_CODES` (the original printed `undefined`).
 */
const STATUS_TEXT: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  407: 'Proxy Authorization Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Long',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  417: 'Expectation Failed',
  426: 'Upgrade Required',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
}

/** The reason phrase for a status line. */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? STATUS_CODES[status] ?? 'Unknown'
}

/**
 * Removes CR, LF and NUL so text placed in a header can never end the line early (response splitting).
 * WebSocket-Node strips CR/LF; NUL is also dropped because some parsers treat it as a terminator.
 */
export function sanitizeHeaderText(value: string): string {
  let out = ''
  let from = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 0x0d || c === 0x0a || c === 0) {
      out += value.slice(from, i)
      from = i + 1
    }
  }
  return from === 0 ? value : out + value.slice(from)
}

/**
 * Encodes a response for the wire. WebSocket-Node writes with Node's `'ascii'` encoding, which keeps only the low
 * byte of each UTF-16 unit: `U+010D U+010A` became CR LF *after* sanitising, an injection. Here characters
 * up to U+00FF are written as that byte (identical output for everything the original handled safely), and
 * anything above becomes `?`.
 */
export function encodeResponse(text: string): Buffer {
  let safe = text
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) {
      let out = ''
      for (let j = 0; j < text.length; j++) out += text.charCodeAt(j) > 0xff ? '?' : text[j]
      safe = out
      break
    }
  }
  return Buffer.from(safe, 'latin1')
}

/** Extra response headers given to `reject()`: own enumerable keys, values turned into strings. */
export type ExtraHeaders = Readonly<Record<string, unknown>>

/**
 * A rejection: status line, `Connection: close`, the optional `X-WebSocket-Reject-Reason`, the extra headers,
 * an empty line; no body (WebSocket-Node's exact shape). Every piece of caller text is sanitised.
 */
export function buildRejectResponse(status: number, reason?: string, extraHeaders?: ExtraHeaders | null): string {
  let response = `HTTP/1.1 ${status} ${statusText(status)}\r\nConnection: close\r\n`
  if (reason) response += `X-WebSocket-Reject-Reason: ${sanitizeHeaderText(String(reason))}\r\n`
  if (extraHeaders && typeof extraHeaders === 'object') {
    for (const key of Object.keys(extraHeaders)) {
      const value = sanitizeHeaderText(String(extraHeaders[key]))
      response += `${sanitizeHeaderText(key).replaceAll(':', '')}: ${value}\r\n`
    }
  }
  return response + '\r\n'
}
