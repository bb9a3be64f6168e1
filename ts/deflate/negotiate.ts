/**
 * permessage-deflate negotiation (RFC 7692 §5, §7.1): options, the server's choice among the client's offers,
 * the client's offer and its strict check of the server's answer. Pure functions, no sockets.
 */
import { parseExtensions } from '../handshake/extensions.js'
import type { IExtensionParameter, IRequestedExtension } from '../handshake/extensions.js'

/** The extension token. */
export const EXTENSION_NAME = 'permessage-deflate'

/** zlib options passed through to the deflater (never `windowBits`, which negotiation decides). */
export interface ZlibDeflateOptions {
  level?: number
  memLevel?: number
  strategy?: number
  chunkSize?: number
}

/**
 * permessage-deflate (RFC 7692) settings, as `perMessageDeflate` in the server or client config. Off unless
 * set. Window bits are 8..15 (a deflater asked for 8 uses 9, as zlib requires; the peer is told 8).
 */
export interface PerMessageDeflateOptions {
  /**
   * Server: always reset our compression context after each message (`server_no_context_takeover`), saving
   * the 32 KiB-per-connection window at some ratio. Client: ask the server to do so. @default false
   */
  serverNoContextTakeover?: boolean
  /** Server: require the client to reset its context per message. Client: announce that we will. @default false */
  clientNoContextTakeover?: boolean
  /** Server: largest window we compress with. Client: ask the server to use at most this. @default 15 */
  serverMaxWindowBits?: number
  /**
   * Server: ask the client to compress with at most this window; an offer that cannot honour it (no
   * `client_max_window_bits`) is declined. Client: the window we compress with at most. @default 15
   */
  clientMaxWindowBits?: number
  /** Outgoing messages shorter than this many bytes are sent uncompressed. @default 1024 */
  threshold?: number
  /** Extra zlib options for compression (level, memLevel, strategy, chunkSize). */
  zlibDeflateOptions?: ZlibDeflateOptions
  /**
   * Most (de)compression jobs running at once in the process (in the libuv thread pool), across all
   * connections sharing the same value; others wait in order. @default 10
   */
  concurrencyLimit?: number
}

/** `PerMessageDeflateOptions` with defaults applied. */
export interface ResolvedDeflateOptions {
  serverNoContextTakeover: boolean
  clientNoContextTakeover: boolean
  serverMaxWindowBits: number
  clientMaxWindowBits: number
  threshold: number
  zlibDeflateOptions: ZlibDeflateOptions
  concurrencyLimit: number
}

/** What one side of a negotiated connection does. */
export interface AgreedParams {
  /** Reset our deflater after every message. */
  ownNoContextTakeover: boolean
  /** Window we compress with (8..15). */
  ownMaxWindowBits: number
  /** The peer resets its context per message, so we reset our inflater. */
  peerNoContextTakeover: boolean
  /** Largest window the peer compresses with (8..15). */
  peerMaxWindowBits: number
}

function windowBits(v: unknown, name: string): number {
  if (v === undefined) return 15
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 8 || v > 15) {
    throw new RangeError(`perMessageDeflate.${name} must be an integer from 8 to 15.`)
  }
  return v
}

/** Applies defaults; `false`/`undefined` → null (off). Throws RangeError for out-of-range settings. */
export function resolveDeflateOptions(
  opt: boolean | PerMessageDeflateOptions | undefined,
): ResolvedDeflateOptions | null {
  if (!opt) return null
  const o: PerMessageDeflateOptions = opt === true ? {} : opt
  const threshold = o.threshold ?? 1024
  if (typeof threshold !== 'number' || !(threshold >= 0)) {
    throw new RangeError('perMessageDeflate.threshold must be a number >= 0.')
  }
  const concurrencyLimit = o.concurrencyLimit ?? 10
  if (typeof concurrencyLimit !== 'number' || !Number.isInteger(concurrencyLimit) || concurrencyLimit < 1) {
    throw new RangeError('perMessageDeflate.concurrencyLimit must be an integer >= 1.')
  }
  return {
    serverNoContextTakeover: o.serverNoContextTakeover === true,
    clientNoContextTakeover: o.clientNoContextTakeover === true,
    serverMaxWindowBits: windowBits(o.serverMaxWindowBits, 'serverMaxWindowBits'),
    clientMaxWindowBits: windowBits(o.clientMaxWindowBits, 'clientMaxWindowBits'),
    threshold,
    zlibDeflateOptions: { ...(o.zlibDeflateOptions ?? {}) },
    concurrencyLimit,
  }
}

/** Parameters of one offer/response, validated (§7.1): known names, no duplicates, well-formed values. */
interface Params {
  serverNoContextTakeover: boolean
  clientNoContextTakeover: boolean
  /** undefined: absent. */
  serverMaxWindowBits: number | undefined
  /** undefined: absent; null: present without a value. */
  clientMaxWindowBits: number | null | undefined
}

/** A window-bits value: 1*DIGIT 8..15, possibly as a quoted-string (§7.1 allows both spellings). */
function bitsValue(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  let v = raw.trim()
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
  if (!/^[0-9]{1,2}$/.test(v)) return undefined
  const n = Number(v)
  return n >= 8 && n <= 15 ? n : undefined
}

/** Validates one parsed extension's parameters; null when the whole element must be refused (§7.1). */
function validateParams(params: IExtensionParameter[]): Params | null {
  const p: Params = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  }
  const seen = new Set<string>()
  for (const param of params) {
    const name = param.name.trim()
    if (seen.has(name)) return null
    seen.add(name)
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (param.value !== undefined) return null
        if (name === 'server_no_context_takeover') p.serverNoContextTakeover = true
        else p.clientNoContextTakeover = true
        break
      case 'server_max_window_bits': {
        const n = bitsValue(param.value)
        if (n === undefined) return null
        p.serverMaxWindowBits = n
        break
      }
      case 'client_max_window_bits': {
        if (param.value === undefined) {
          p.clientMaxWindowBits = null
          break
        }
        const n = bitsValue(param.value)
        if (n === undefined) return null
        p.clientMaxWindowBits = n
        break
      }
      default:
        return null
    }
  }
  return p
}

/** The server's answer: the `Sec-WebSocket-Extensions` value, what it reports, and what each side does. */
export interface ServerAgreement {
  header: string
  extension: IRequestedExtension
  params: AgreedParams
}

function format(params: IExtensionParameter[]): string {
  return [EXTENSION_NAME, ...params.map((p) => (p.value === undefined ? p.name : `${p.name}=${p.value}`))].join('; ')
}

/**
 * Server side (§5, §7.1): the first acceptable permessage-deflate offer of the header, or null (then the
 * connection runs uncompressed). Offers with unknown, duplicate or malformed parameters are skipped, as is one
 * without `client_max_window_bits` when `clientMaxWindowBits` < 15 is configured (we cannot impose it).
 */
export function acceptOffer(
  header: string | string[] | undefined,
  opts: ResolvedDeflateOptions,
): ServerAgreement | null {
  const value = Array.isArray(header) ? header.join(', ') : header
  for (const offer of parseExtensions(value)) {
    if (offer.name.trim() !== EXTENSION_NAME) continue
    const p = validateParams(offer.params)
    if (p === null) continue
    if (p.clientMaxWindowBits === undefined && opts.clientMaxWindowBits < 15) continue
    const out: IExtensionParameter[] = []
    const serverNct = p.serverNoContextTakeover || opts.serverNoContextTakeover
    const clientNct = p.clientNoContextTakeover || opts.clientNoContextTakeover
    if (serverNct) out.push({ name: 'server_no_context_takeover', value: undefined })
    if (clientNct) out.push({ name: 'client_no_context_takeover', value: undefined })
    // §7.1.2.1: the server may always announce a smaller window of its own.
    const serverBits = Math.min(p.serverMaxWindowBits ?? 15, opts.serverMaxWindowBits)
    if (p.serverMaxWindowBits !== undefined || serverBits < 15) {
      out.push({ name: 'server_max_window_bits', value: String(serverBits) })
    }
    // §7.1.2.2: only when offered; without a value the client accepts any window we name.
    let clientBits = 15
    if (p.clientMaxWindowBits !== undefined) {
      clientBits = Math.min(p.clientMaxWindowBits ?? 15, opts.clientMaxWindowBits)
      if (p.clientMaxWindowBits !== null || clientBits < 15) {
        out.push({ name: 'client_max_window_bits', value: String(clientBits) })
      }
    }
    return {
      header: format(out),
      extension: { name: EXTENSION_NAME, params: out },
      params: {
        ownNoContextTakeover: serverNct,
        ownMaxWindowBits: serverBits,
        peerNoContextTakeover: clientNct,
        peerMaxWindowBits: clientBits,
      },
    }
  }
  return null
}

/** Client side (§7.1): the offer to send. `client_max_window_bits` is always there (we accept any window). */
export function buildOffer(opts: ResolvedDeflateOptions): string {
  const out: IExtensionParameter[] = []
  if (opts.serverNoContextTakeover) out.push({ name: 'server_no_context_takeover', value: undefined })
  if (opts.clientNoContextTakeover) out.push({ name: 'client_no_context_takeover', value: undefined })
  if (opts.serverMaxWindowBits < 15) {
    out.push({ name: 'server_max_window_bits', value: String(opts.serverMaxWindowBits) })
  }
  out.push({
    name: 'client_max_window_bits',
    value: opts.clientMaxWindowBits < 15 ? String(opts.clientMaxWindowBits) : undefined,
  })
  return format(out)
}

/** Outcome of `checkResponse`. */
export type ClientAgreement =
  | { ok: true; extension: IRequestedExtension | null; params: AgreedParams | null }
  | { ok: false; message: string }

/**
 * Client side (§7.1, RFC 6455 §4.1 item 5): the server's `Sec-WebSocket-Extensions`, checked strictly. Anything
 * but one well-formed permessage-deflate element honouring our offer fails the connection.
 */
export function checkResponse(
  header: string | string[] | undefined,
  opts: ResolvedDeflateOptions | null,
): ClientAgreement {
  const value = Array.isArray(header) ? header.join(', ') : header
  if (value === undefined || value.trim() === '') return { ok: true, extension: null, params: null }
  const fail = (why: string): ClientAgreement => ({ ok: false, message: why })
  const notRequested = fail(`Server indicated an extension that was not requested: ${value}`)
  if (opts === null) return notRequested
  const list = parseExtensions(value)
  const first = list[0]
  if (list.length !== 1 || first === undefined || first.name.trim() !== EXTENSION_NAME) return notRequested
  const p = validateParams(first.params)
  if (p === null) return fail(`Invalid permessage-deflate parameters in the server's response: ${value}`)
  if (p.clientMaxWindowBits === null) {
    return fail(`Invalid permessage-deflate parameters in the server's response: ${value}`)
  }
  if (opts.serverNoContextTakeover && !p.serverNoContextTakeover) {
    return fail('Server did not accept the requested server_no_context_takeover.')
  }
  if (opts.serverMaxWindowBits < 15 && (p.serverMaxWindowBits ?? 15) > opts.serverMaxWindowBits) {
    return fail('Server did not accept the requested server_max_window_bits.')
  }
  if (p.clientMaxWindowBits !== undefined && p.clientMaxWindowBits > opts.clientMaxWindowBits) {
    return fail('Server asked for a client_max_window_bits larger than offered.')
  }
  const params: IExtensionParameter[] = first.params.map((q) => ({
    name: q.name.trim(),
    value: q.value === undefined ? undefined : q.value.trim().replace(/^"(.*)"$/, '$1'),
  }))
  return {
    ok: true,
    extension: { name: EXTENSION_NAME, params },
    params: {
      ownNoContextTakeover: p.clientNoContextTakeover || opts.clientNoContextTakeover,
      ownMaxWindowBits: Math.min(p.clientMaxWindowBits ?? 15, opts.clientMaxWindowBits),
      peerNoContextTakeover: p.serverNoContextTakeover,
      peerMaxWindowBits: p.serverMaxWindowBits ?? 15,
    },
  }
}

/**
 * What one side does, from the agreed extension as reported in `connection.extensions` (the response's
 * parameters): the server's `server_*` parameters are its own, the client's are the `client_*` ones. Our own
 * settings can only make our side stricter (no context takeover, smaller window), never the peer's.
 */
export function agreedParams(
  ext: { params: Array<{ name: string; value?: string | undefined }> },
  isServer: boolean,
  opts: ResolvedDeflateOptions,
): AgreedParams {
  const has = (name: string): boolean => ext.params.some((p) => p.name === name)
  const bits = (name: string): number => bitsValue(ext.params.find((p) => p.name === name)?.value) ?? 15
  const own = isServer ? 'server' : 'client'
  const peer = isServer ? 'client' : 'server'
  const ownNct = isServer ? opts.serverNoContextTakeover : opts.clientNoContextTakeover
  const ownBits = isServer ? opts.serverMaxWindowBits : opts.clientMaxWindowBits
  return {
    ownNoContextTakeover: has(`${own}_no_context_takeover`) || ownNct,
    ownMaxWindowBits: Math.min(bits(`${own}_max_window_bits`), ownBits),
    peerNoContextTakeover: has(`${peer}_no_context_takeover`),
    peerMaxWindowBits: bits(`${peer}_max_window_bits`),
  }
}
