/** `Sec-WebSocket-Extensions` offers (RFC 6455 §9.1), parsed the way WebSocket-Node exposes them. */
import { splitList } from './split.js'

/** One `name[=value]` parameter of an extension offer. `value` is undefined when there is no `=`; quotes are kept. */
export interface IExtensionParameter {
  name: string
  value: string | undefined
}

/** One extension offered by the client, as in `WebSocketRequest.requestedExtensions`. */
export interface IRequestedExtension {
  name: string
  params: IExtensionParameter[]
}

/**
 * WebSocket-Node's `parseExtensions`: lower-case the whole header, split extensions on a comma and parameters on a
 * semicolon (each followed by any whitespace), and parameters on `=` (anything after a second `=` is dropped).
 * Names are plain data in arrays, so `__proto__` or `constructor` are harmless (ws GHSA-5v72-xg48-5rpm).
 * This is only the report of the offer; permessage-deflate is negotiated by `deflate/negotiate.ts`, which parses the
 * header with RFC 7692's stricter rules.
 */
export function parseExtensions(header: string | undefined): IRequestedExtension[] {
  if (!header) return []
  return splitList(header.toLowerCase(), ',').map((extension) => {
    const parts = splitList(extension, ';')
    const params = parts.slice(1).map((raw): IExtensionParameter => {
      const eq = raw.indexOf('=')
      if (eq === -1) return { name: raw, value: undefined }
      const next = raw.indexOf('=', eq + 1)
      return { name: raw.slice(0, eq), value: raw.slice(eq + 1, next === -1 ? undefined : next) }
    })
    return { name: parts[0] as string, params }
  })
}
