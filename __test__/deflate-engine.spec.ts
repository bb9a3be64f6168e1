// The permessage-deflate engine's per-message path: what it keeps between messages and what it hands out.
import zlib from 'node:zlib'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { run } from './helpers/pmd-run.js'
import { resolveDeflateOptions, type ResolvedDeflateOptions } from '../ts/deflate/negotiate.js'
import { PerMessageDeflate } from '../ts/PerMessageDeflate.js'

const defaults = resolveDeflateOptions(true) as ResolvedDeflateOptions
const params = { ownNoContextTakeover: false, ownMaxWindowBits: 15, peerNoContextTakeover: false, peerMaxWindowBits: 15 }

/** `n` engines with the default parameters, closed when the test ends. */
function engines(t: ExecutionContext, n: 1): [PerMessageDeflate]
function engines(t: ExecutionContext, n: 2): [PerMessageDeflate, PerMessageDeflate]
function engines(t: ExecutionContext, n: number): PerMessageDeflate[] {
  const list = Array.from({ length: n }, () => new PerMessageDeflate(params, defaults))
  t.teardown(() => {
    for (const pmd of list) pmd.close()
  })
  return list
}


/** The engine's zlib streams (private): only listener additions are watched. */
const streams = (pmd: PerMessageDeflate) => pmd as unknown as { deflater: zlib.DeflateRaw; inflater: zlib.InflateRaw }

test('engine: no listener is added to the zlib streams per message', async (t) => {
  // Per-message listeners and the closures they held were promoted to old space on a 64 KiB echo (9 full GCs in
  // 3 s where ws had none); the listeners are now attached once, when a stream is made.
  const [a, b] = engines(t, 2)
  const msg = (i: number) => Buffer.from(`{"seq":${i},"text":"${'event '.repeat(50 + i)}"}`)
  const first = await run(a, 'compress', msg(0))
  t.true((await run(b, 'decompress', first.out as Buffer)).out?.equals(msg(0)))
  const added: string[] = []
  streams(a).deflater.on('newListener', (name: string | symbol) => added.push(`deflater ${String(name)}`))
  streams(b).inflater.on('newListener', (name: string | symbol) => added.push(`inflater ${String(name)}`))
  for (let i = 1; i <= 50; i++) {
    const c = await run(a, 'compress', msg(i))
    t.true((await run(b, 'decompress', c.out as Buffer)).out?.equals(msg(i)), `message ${i}`)
  }
  t.deepEqual(added, [])
})

test('engine: a compressed payload handed out without a copy is not overwritten by the next compression', async (t) => {
  // A short message deflates to one chunk, a view into zlib's 16 KiB output buffer, which zlib goes on filling.
  const [pmd] = engines(t, 1)
  const one = await run(pmd, 'compress', Buffer.from('first message, first message, first message'))
  const kept = Buffer.from(one.out as Buffer)
  for (let i = 0; i < 20; i++) await run(pmd, 'compress', Buffer.from(`message ${i} `.repeat(40)))
  t.true((one.out as Buffer).equals(kept))
  const inflated = zlib.inflateRawSync(Buffer.concat([kept, Buffer.from('0000ffff', 'hex')]), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  })
  t.is(inflated.toString(), 'first message, first message, first message')
})

test('engine: an inflated message owns its bytes (not a view pinning zlib\'s 16 KiB output buffer)', async (t) => {
  const [a, b] = engines(t, 2)
  for (const text of ['short one', 'x'.repeat(70000), 'another short one']) {
    const c = await run(a, 'compress', Buffer.from(text))
    const out = (await run(b, 'decompress', c.out as Buffer)).out as Buffer
    t.is(out.toString(), text)
    // Node's zlib streams write into `_outBuffer` and push views of it (internal, read here only).
    const zlibOut = (streams(b).inflater as unknown as { _outBuffer: Buffer })._outBuffer
    t.not(out.buffer, zlibOut.buffer)
  }
})

test('engine: the 1009 limit still applies to the inflated size, on the chunk that passes it', async (t) => {
  const [a, b] = engines(t, 2)
  const c = await run(a, 'compress', Buffer.alloc(100000, 0x61))
  t.is((await run(b, 'decompress', c.out as Buffer, 99999)).err?.closeCode, 1009)
  // The inflater was dropped with its window; a fresh pair still works (the connection would be closed anyway).
  const [sender, fresh] = engines(t, 2)
  const c2 = await run(sender, 'compress', Buffer.alloc(100000, 0x61))
  t.is((await run(fresh, 'decompress', c2.out as Buffer, 100000)).out?.length, 100000)
})

