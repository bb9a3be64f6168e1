// Compressed messages larger than one of zlib's 16 KiB output buffers: the sender writes the header and zlib's
// chunks as they are (no join, no copy), with the 00 00 ff ff trailer removed even when it straddles two chunks.
import { randomBytes } from 'node:crypto'
import zlib from 'node:zlib'
import test from 'ava'
import WebSocket from 'ws'
import { resolveDeflateOptions, type ResolvedDeflateOptions } from '../ts/deflate/negotiate.js'
import { PerMessageDeflate } from '../ts/PerMessageDeflate.js'
import { startEchoServer, wsOpened } from './helpers/server-echo.js'

const params = { ownNoContextTakeover: false, ownMaxWindowBits: 15, peerNoContextTakeover: false, peerMaxWindowBits: 15 }
const TRAILER = Buffer.from('0000ffff', 'hex')

const compressParts = (pmd: PerMessageDeflate, data: Buffer) =>
  new Promise<{ parts: Buffer[]; length: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('compression did not finish within 10 s')), 10000)
    pmd.compressParts(data, (err, parts, length) => {
      clearTimeout(timer)
      if (err !== null || parts === undefined || length === undefined) reject(err ?? new Error('no output'))
      else resolve({ parts, length })
    })
  })

test('engine: compressed parts over 64-byte zlib chunks add up, none empty, trailer removed, inflate back', async (t) => {
  // Every message spans many chunks. (zlib ends each sync flush with a whole 00 00 ff ff in the last chunk — a
  // marker cut by a full buffer is followed by a fresh one — but the engine trims across chunks all the same.)
  const small = resolveDeflateOptions({ zlibDeflateOptions: { chunkSize: 64 } }) as ResolvedDeflateOptions
  const pmd = new PerMessageDeflate(params, small)
  t.teardown(() => pmd.close())
  const inflater = zlib.createInflateRaw({ windowBits: 15 })
  t.teardown(() => inflater.close())
  let multi = 0
  for (let i = 0; i < 300; i++) {
    const data = randomBytes(200 + ((i * 7919) % 500))
    const { parts, length } = await compressParts(pmd, data)
    if (parts.length > 2) multi++
    t.is(
      parts.reduce((s, p) => s + p.length, 0),
      length,
      `message ${i}`,
    )
    t.false(
      parts.some((p) => p.length === 0),
      `message ${i}`,
    )
    const payload = Buffer.concat(parts)
    t.not(payload.subarray(-4).toString('hex'), '0000ffff', `message ${i}`)
    const out = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = []
      const onData = (c: Buffer) => chunks.push(c)
      inflater.on('data', onData)
      inflater.write(Buffer.concat([payload, TRAILER]))
      inflater.flush(() => {
        inflater.off('data', onData)
        resolve(Buffer.concat(chunks))
      })
    })
    t.true(out.equals(data), `message ${i}`)
  }
  t.true(multi > 250, `only ${multi} messages spanned several chunks`)
})

test('server: compressed replies above one zlib chunk reach ws intact (header + chunks, RSV1, one frame)', async (t) => {
  const server = await startEchoServer(t, { perMessageDeflate: { threshold: 0 } })
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: { threshold: 0 } })
  await wsOpened(t, ws)
  const json = JSON.stringify(
    Array.from({ length: 900 }, (_, i) => ({ seq: i, user: `user${i % 37}`, text: `event ${(i * 7919) % 1000}` })),
  )
  const messages: Array<string | Buffer> = [
    json, // ~14 KB compressed: often across two of zlib's buffers
    randomBytes(40000), // stored: three chunks
    randomBytes(16376), // the trailer across a chunk boundary
    randomBytes(5000), // just above the join-and-copy size
    'x'.repeat(70000), // tiny compressed: joined path
    json,
  ]
  const got: Array<[Buffer, boolean]> = []
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} replies within 10 s`)), 10000)
    ws.on('message', (data, isBinary) => {
      got.push([data as Buffer, isBinary])
      if (got.length === messages.length) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  for (const m of messages) ws.send(m, { binary: Buffer.isBuffer(m) })
  await done
  messages.forEach((m, i) => {
    const [data, isBinary] = got[i] as [Buffer, boolean]
    t.is(isBinary, Buffer.isBuffer(m), `message ${i}`)
    t.true(Buffer.isBuffer(m) ? data.equals(m) : data.toString() === m, `message ${i}`)
  })
})
