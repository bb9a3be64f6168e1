// permessage-deflate on the wire (RFC 7692 §6, §7.2): RSV1 rules, inflation limits and invalid data, on the
// server (raw client frames) and on the client (a raw server), plus the client's strict response checks.
import zlib from 'node:zlib'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { WebSocketClient, type IClientConfig } from '../ts/WebSocketClient.js'
import type { IServerConfig } from '../ts/WebSocketServer.js'
import { connected, failed, outcome } from './helpers/client-events.js'
import { rawServer, response101, serverFrame } from './helpers/client-raw-server.js'
import { startEchoServer } from './helpers/server-echo.js'
import { handshake, maskedFrame, rawExchange } from './helpers/server-harness.js'
import { within } from './helpers/conn-pair.js'

/** DEFLATE payload of a message as a sender puts it on the wire (§7.2.1: trailing 00 00 ff ff removed). */
function deflated(data: Buffer | string): Buffer {
  const out = zlib.deflateRawSync(typeof data === 'string' ? Buffer.from(data) : data, {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  })
  return out.subarray(0, out.length - 4)
}

interface Frame {
  bits: number
  payload: Buffer
}

/** The unmasked frames after the 101 head. */
function serverFrames(bytes: Buffer): Frame[] {
  let at = bytes.indexOf('\r\n\r\n') + 4
  const frames: Frame[] = []
  while (at + 2 <= bytes.length) {
    let len = (bytes[at + 1] as number) & 0x7f
    let off = at + 2
    if (len === 126) {
      len = bytes.readUInt16BE(off)
      off += 2
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(off))
      off += 8
    }
    if (off + len > bytes.length) break
    frames.push({ bits: bytes[at] as number, payload: bytes.subarray(off, off + len) })
    at = off + len
  }
  return frames
}

const closeCodeOf = (frames: Frame[]): number | undefined => {
  const close = frames.find((f) => (f.bits & 0x0f) === 0x08)
  return close === undefined ? undefined : close.payload.readUInt16BE(0)
}

async function exchange(
  t: ExecutionContext,
  config: Partial<IServerConfig>,
  frames: Buffer[],
  offer: string | null = 'permessage-deflate; client_max_window_bits',
) {
  const server = await startEchoServer(t, config)
  const headers: Record<string, string> = offer === null ? {} : { 'Sec-WebSocket-Extensions': offer }
  const r = await rawExchange(t, server.port, Buffer.concat([Buffer.from(handshake({ headers })), ...frames]))
  return { text: r.text, frames: serverFrames(r.bytes) }
}

const PMD = { perMessageDeflate: true }

test('server: RFC 7692 §7.2.3.1 "Hello" (one frame and two fragments) is inflated and echoed', async (t) => {
  const hello = Buffer.from('f248cdc9c90700', 'hex')
  const r = await exchange(t, PMD, [
    maskedFrame(0xc1, hello),
    maskedFrame(0x41, Buffer.from('f248cd', 'hex')),
    maskedFrame(0x80, Buffer.from('c9c90700', 'hex')),
    maskedFrame(0x88, Buffer.from('03e8', 'hex')),
  ])
  t.regex(r.text, /\r\nSec-WebSocket-Extensions: permessage-deflate\r\n/)
  // Below the 1024-byte threshold the echoes go out uncompressed (RSV1 clear).
  const texts = r.frames.filter((f) => (f.bits & 0x0f) === 1)
  t.deepEqual(
    texts.map((f) => [f.bits, f.payload.toString()]),
    [
      [0x81, 'Hello'],
      [0x81, 'Hello'],
    ],
  )
})

test('server: RSV1 without negotiation → 1002 (option off, or the client did not offer)', async (t) => {
  const frame = maskedFrame(0xc1, Buffer.from('f248cdc9c90700', 'hex'))
  const off = await exchange(t, {}, [frame])
  t.notRegex(off.text, /Sec-WebSocket-Extensions/i)
  t.is(closeCodeOf(off.frames), 1002)
  const notOffered = await exchange(t, PMD, [frame], null)
  t.notRegex(notOffered.text, /Sec-WebSocket-Extensions/i)
  t.is(closeCodeOf(notOffered.frames), 1002)
})

test('server: RSV1 on a control frame or on a continuation frame → 1002 (§6.1)', async (t) => {
  t.is(closeCodeOf((await exchange(t, PMD, [maskedFrame(0xc9, Buffer.alloc(0))])).frames), 1002)
  const cont = [maskedFrame(0x41, Buffer.from('f248cd', 'hex')), maskedFrame(0xc0, Buffer.from('c9c90700', 'hex'))]
  t.is(closeCodeOf((await exchange(t, PMD, cont)).frames), 1002)
})

test('server: a decompression bomb (64 KiB frame → 64 MiB) → 1009 with the 1 MiB message limit', async (t) => {
  const bomb = deflated(Buffer.alloc(64 * 1024 * 1024))
  t.true(bomb.length < 65536)
  const r = await exchange(t, PMD, [maskedFrame(0xc2, bomb)])
  t.is(closeCodeOf(r.frames), 1009)
})

test('server: invalid DEFLATE data → 1007; invalid UTF-8 after inflation → 1007', async (t) => {
  t.is(closeCodeOf((await exchange(t, PMD, [maskedFrame(0xc1, Buffer.from('ffffffff', 'hex'))])).frames), 1007)
  const badUtf8 = deflated(Buffer.from('cebae1bdb9cf83ceb5eda080', 'hex'))
  t.is(closeCodeOf((await exchange(t, PMD, [maskedFrame(0xc1, badUtf8)])).frames), 1007)
})

test('server: a bad first alternative is skipped, the next one is agreed and reported', async (t) => {
  const server = await startEchoServer(t, { perMessageDeflate: { serverMaxWindowBits: 12 } })
  const extensions = new Promise<unknown[]>((resolve) =>
    server.wsServer.once('connect', (c: { extensions: unknown[] }) => resolve(c.extensions)),
  )
  const offer = 'permessage-deflate; server_max_window_bits=99, permessage-deflate; client_no_context_takeover'
  const r = await rawExchange(t, server.port, handshake({ headers: { 'Sec-WebSocket-Extensions': offer } }), (b) =>
    b.includes('\r\n\r\n'),
  )
  t.regex(
    r.text,
    /\r\nSec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_max_window_bits=12\r\n/,
  )
  t.deepEqual(await extensions, [
    {
      name: 'permessage-deflate',
      params: [
        { name: 'client_no_context_takeover', value: undefined },
        { name: 'server_max_window_bits', value: '12' },
      ],
    },
  ])
})

/** Our client against a raw server answering `extensionsLine` (null: no header) and then writing `frames`. */
async function clientAgainst(
  t: ExecutionContext,
  config: IClientConfig,
  extensionsLine: string | null,
  frames: Buffer = Buffer.alloc(0),
) {
  let offered: string | undefined
  const server = await rawServer(t, (req, s) => {
    offered = req.headers['sec-websocket-extensions']
    const extra = extensionsLine === null ? [] : [`Sec-WebSocket-Extensions: ${extensionsLine}`]
    s.write(Buffer.concat([Buffer.from(response101(req, extra), 'latin1'), frames]))
  })
  const client = new WebSocketClient(config)
  const o = outcome(client)
  // Registered before connect: frames sent with the 101 may close the connection within the 'connect' emit.
  const closed = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no close within 5 s')), 5000)
    client.once('connectFailed', () => clearTimeout(timer))
    client.once('connect', (conn) => {
      conn.on('error', () => {})
      conn.once('close', (code) => {
        clearTimeout(timer)
        resolve(code)
      })
    })
  })
  closed.catch(() => {})
  client.connect(server.url)
  return { outcome: await o, offered: () => offered, closed }
}

test('client: offers only when configured; a response the offer does not allow → connectFailed', async (t) => {
  const plain = await clientAgainst(t, {}, null)
  t.is(plain.offered(), undefined)
  connected(plain.outcome).drop(1000, '', true)
  const unasked = await clientAgainst(t, {}, 'permessage-deflate')
  t.regex(failed(unasked.outcome).message, /extension that was not requested/)
  for (const [config, line] of [
    [{ perMessageDeflate: true }, 'permessage-deflate; foo'],
    [{ perMessageDeflate: true }, 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
    [{ perMessageDeflate: true }, 'permessage-deflate; server_max_window_bits=7'],
    [{ perMessageDeflate: true }, 'permessage-deflate; client_max_window_bits'],
    [{ perMessageDeflate: { serverMaxWindowBits: 10 } }, 'permessage-deflate; server_max_window_bits=11'],
    [{ perMessageDeflate: { clientMaxWindowBits: 9 } }, 'permessage-deflate; client_max_window_bits=10'],
    [{ perMessageDeflate: true }, 'permessage-deflate, permessage-deflate'],
  ] as Array<[IClientConfig, string]>) {
    const r = await clientAgainst(t, config, line)
    t.is(r.outcome.event, 'connectFailed', line)
  }
  const narrow = { perMessageDeflate: { serverMaxWindowBits: 10 } }
  const ok = await clientAgainst(t, narrow, 'permessage-deflate; server_max_window_bits=9')
  t.is(ok.offered(), 'permessage-deflate; server_max_window_bits=10; client_max_window_bits')
  const conn = connected(ok.outcome)
  t.deepEqual(conn.extensions, [
    { name: 'permessage-deflate', params: [{ name: 'server_max_window_bits', value: '9' }] },
  ])
  conn.drop(1000, '', true)
})

async function clientClose(t: ExecutionContext, negotiated: boolean, frames: Buffer): Promise<number> {
  const config = negotiated ? { perMessageDeflate: true } : {}
  const r = await clientAgainst(t, config, negotiated ? 'permessage-deflate' : null, frames)
  connected(r.outcome)
  return r.closed
}

function compressedFrame(bits: number, payload: Buffer): Buffer {
  const f = serverFrame(bits & 0x0f, payload, { fin: (bits & 0x80) !== 0 })
  f[0] = bits
  return f
}

test('client: RSV1 without negotiation, on a ping or on a continuation → 1002', async (t) => {
  const hello = Buffer.from('f248cdc9c90700', 'hex')
  t.is(await clientClose(t, false, compressedFrame(0xc1, hello)), 1002)
  t.is(await clientClose(t, true, compressedFrame(0xc9, Buffer.alloc(0))), 1002)
  const cont = Buffer.concat([compressedFrame(0x41, hello.subarray(0, 3)), compressedFrame(0xc0, hello.subarray(3))])
  t.is(await clientClose(t, true, cont), 1002)
})

test('client: bomb → 1009, invalid DEFLATE → 1007, valid compressed text delivered', async (t) => {
  const bomb = deflated(Buffer.alloc(64 * 1024 * 1024))
  const config = { perMessageDeflate: true, maxReceivedMessageSize: 1 << 20 }
  const limited = await clientAgainst(t, config, 'permessage-deflate', compressedFrame(0xc2, bomb))
  connected(limited.outcome)
  t.is(await limited.closed, 1009)
  t.is(await clientClose(t, true, compressedFrame(0xc1, Buffer.from('ffffffff', 'hex'))), 1007)
  const good = await clientAgainst(
    t,
    { perMessageDeflate: true },
    'permessage-deflate',
    compressedFrame(0xc1, deflated('Hello')),
  )
  const c = connected(good.outcome)
  const message = await within(new Promise((resolve) => c.once('message', resolve)), 5000, 'the message')
  t.deepEqual(message, { type: 'utf8', utf8Data: 'Hello' })
  c.drop(1000, '', true)
})
