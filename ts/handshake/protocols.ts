/** Subprotocol lists (RFC 6455 §4.2.1 item 8, §11.3.4): parsing the client's offer, validating our answer. */
import { splitList } from './split.js'

/** RFC 2616 §2.2 separators, the characters WebSocket-Node refuses in a subprotocol. */
const SEPARATORS = '()<>@,;:\\"/[]?={} \t'

/**
 * The first character of `value` that may not appear in an RFC 2616 token (outside 0x21–0x7E, or a separator),
 * or `undefined` when `value` is a valid token. Used for subprotocols so an accepted protocol can never carry
 * CR/LF or a header separator into the 101 response (CRLF injection, undici CVE-2026-1527).
 */
export function firstNonTokenChar(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x21 || c > 0x7e || SEPARATORS.includes(value[i] as string)) return value[i]
  }
  return undefined
}

/** The parsed `Sec-WebSocket-Protocol` offer. */
export interface ProtocolOffer {
  /** Lower-cased, in the client's order, items not trimmed (WebSocket-Node's exact shape). */
  requested: string[]
  /** Lower-cased name → the client's spelling, echoed in the 101. Null prototype: `__proto__` is data. */
  fullCase: { [lowerCased: string]: string }
}

/**
 * Parses a `Sec-WebSocket-Protocol` header like WebSocket-Node: split on a comma plus any whitespace,
 * lower-case each item. `"Chat , SuperChat,,x"` → `['chat ', 'superchat', '', 'x']`.
 */
export function parseProtocols(header: string | undefined): ProtocolOffer {
  const fullCase: { [lowerCased: string]: string } = Object.create(null) as { [lowerCased: string]: string }
  const requested: string[] = []
  if (header) {
    for (const item of splitList(header, ',')) {
      const lc = item.toLowerCase()
      requested.push(lc)
      fullCase[lc] = item
    }
  }
  return { requested, fullCase }
}
