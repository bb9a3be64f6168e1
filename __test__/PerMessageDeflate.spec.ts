// permessage-deflate (RFC 7692) negotiation rules and the compression engine, without sockets.
import zlib from 'node:zlib'
import test from 'ava'
import { run } from './helpers/pmd-run.js'
import {
  acceptOffer,
  agreedParams,
  buildOffer,
  checkResponse,
  resolveDeflateOptions,
  type ResolvedDeflateOptions,
} from '../ts/deflate/negotiate.js'
import { Limiter, PerMessageDeflate } from '../ts/PerMessageDeflate.js'

const defaults = resolveDeflateOptions(true) as ResolvedDeflateOptions
const withOpts = (o: Parameters<typeof resolveDeflateOptions>[0]): ResolvedDeflateOptions =>
  resolveDeflateOptions(o) as ResolvedDeflateOptions

test('options: off unless set; defaults; out-of-range window bits and threshold throw', (t) => {
  t.is(resolveDeflateOptions(undefined), null)
  t.is(resolveDeflateOptions(false), null)
  t.like(defaults, { serverMaxWindowBits: 15, clientMaxWindowBits: 15, threshold: 1024, concurrencyLimit: 10 })
  for (const bad of [7, 16, 9.5, Number.NaN]) {
    t.throws(() => resolveDeflateOptions({ serverMaxWindowBits: bad }), { instanceOf: RangeError })
    t.throws(() => resolveDeflateOptions({ clientMaxWindowBits: bad }), { instanceOf: RangeError })
  }
  t.throws(() => resolveDeflateOptions({ threshold: -1 }), { instanceOf: RangeError })
  t.throws(() => resolveDeflateOptions({ concurrencyLimit: 0 }), { instanceOf: RangeError })
})

test('server: accepts a plain offer and a browser offer (bare client_max_window_bits)', (t) => {
  t.is(acceptOffer('permessage-deflate', defaults)?.header, 'permessage-deflate')
  const browser = acceptOffer('permessage-deflate; client_max_window_bits', defaults)
  t.is(browser?.header, 'permessage-deflate')
  t.deepEqual(browser?.extension, { name: 'permessage-deflate', params: [] })
  t.is(acceptOffer(undefined, defaults), null)
  t.is(acceptOffer('x-webkit-deflate-frame', defaults), null)
})

test('server: echoes and narrows window bits, honours no_context_takeover both ways (§7.1.1, §7.1.2)', (t) => {
  const a = acceptOffer(
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; ' +
      'client_max_window_bits=12',
    withOpts({ serverMaxWindowBits: 9, clientMaxWindowBits: 11 }),
  )
  t.is(
    a?.header,
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; ' +
      'client_max_window_bits=11',
  )
  t.deepEqual(a?.params, {
    ownNoContextTakeover: true,
    ownMaxWindowBits: 9,
    peerNoContextTakeover: true,
    peerMaxWindowBits: 11,
  })
  // Our own limits are announced even when the offer did not ask (§7.1.2.1), and no_context_takeover imposed.
  const b = acceptOffer(
    'permessage-deflate; client_max_window_bits',
    withOpts({
      serverMaxWindowBits: 8,
      clientMaxWindowBits: 8,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    }),
  )
  t.is(
    b?.header,
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; ' +
      'client_max_window_bits=8',
  )
  // Quoted values are accepted (§7.1 allows a quoted-string).
  t.is(
    acceptOffer('permessage-deflate; server_max_window_bits="12"', defaults)?.header,
    'permessage-deflate; server_max_window_bits=12',
  )
})

test('server: malformed, duplicate, unknown or out-of-range parameters decline that offer, not the handshake', (t) => {
  for (const bad of [
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_max_window_bits=010',
    'permessage-deflate; server_max_window_bits=1a',
    'permessage-deflate; client_max_window_bits=',
    'permessage-deflate; client_max_window_bits=0',
    'permessage-deflate; server_no_context_takeover=1',
    'permessage-deflate; client_no_context_takeover; client_no_context_takeover',
    'permessage-deflate; server_max_window_bits=10; server_max_window_bits=10',
    'permessage-deflate; foo',
    'permessage-deflate; __proto__=1',
  ]) {
    t.is(acceptOffer(bad, defaults), null, bad)
  }
  // Several alternatives: the first acceptable one wins.
  const pick = acceptOffer(
    'permessage-deflate; foo, permessage-deflate; server_max_window_bits=11, permessage-deflate',
    defaults,
  )
  t.is(pick?.header, 'permessage-deflate; server_max_window_bits=11')
  // clientMaxWindowBits < 15 cannot be imposed on an offer without client_max_window_bits: declined.
  t.is(acceptOffer('permessage-deflate', withOpts({ clientMaxWindowBits: 10 })), null)
  t.is(
    acceptOffer('permessage-deflate, permessage-deflate; client_max_window_bits', withOpts({ clientMaxWindowBits: 10 }))
      ?.header,
    'permessage-deflate; client_max_window_bits=10',
  )
})

test('client: the offer carries the configured parameters and always client_max_window_bits', (t) => {
  t.is(buildOffer(defaults), 'permessage-deflate; client_max_window_bits')
  t.is(
    buildOffer(
      withOpts({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 9,
        clientMaxWindowBits: 8,
      }),
    ),
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; ' +
      'client_max_window_bits=8',
  )
})

test('client: strict check of the server response (RFC 7692 §7.1, RFC 6455 §4.1 item 5)', (t) => {
  const ok = checkResponse('permessage-deflate; server_max_window_bits=10; client_no_context_takeover', defaults)
  t.true(ok.ok)
  if (ok.ok) {
    t.deepEqual(ok.params, {
      ownNoContextTakeover: true,
      ownMaxWindowBits: 15,
      peerNoContextTakeover: false,
      peerMaxWindowBits: 10,
    })
  }
  t.deepEqual(checkResponse(undefined, defaults), { ok: true, extension: null, params: null })
  const failures: Array<[string, ResolvedDeflateOptions | null]> = [
    ['permessage-deflate', null],
    ['x-foo', defaults],
    ['permessage-deflate, permessage-deflate', defaults],
    ['permessage-deflate; foo', defaults],
    ['permessage-deflate; server_no_context_takeover; server_no_context_takeover', defaults],
    ['permessage-deflate; server_max_window_bits=16', defaults],
    ['permessage-deflate; client_max_window_bits', defaults],
    ['permessage-deflate; client_max_window_bits=11', withOpts({ clientMaxWindowBits: 10 })],
    ['permessage-deflate; server_max_window_bits=12', withOpts({ serverMaxWindowBits: 10 })],
    ['permessage-deflate', withOpts({ serverMaxWindowBits: 10 })],
    ['permessage-deflate', withOpts({ serverNoContextTakeover: true })],
  ]
  for (const [header, opts] of failures) t.false(checkResponse(header, opts).ok, header)
})

test('agreedParams: each side reads its own and the peer parameters from the agreed extension', (t) => {
  const ext = {
    params: [
      { name: 'server_no_context_takeover' },
      { name: 'server_max_window_bits', value: '9' },
      { name: 'client_max_window_bits', value: '12' },
    ],
  }
  t.deepEqual(agreedParams(ext, true, defaults), {
    ownNoContextTakeover: true,
    ownMaxWindowBits: 9,
    peerNoContextTakeover: false,
    peerMaxWindowBits: 12,
  })
  t.deepEqual(agreedParams(ext, false, defaults), {
    ownNoContextTakeover: false,
    ownMaxWindowBits: 12,
    peerNoContextTakeover: true,
    peerMaxWindowBits: 9,
  })
})

const params = {
  ownNoContextTakeover: false,
  ownMaxWindowBits: 15,
  peerNoContextTakeover: false,
  peerMaxWindowBits: 15,
}

test('engine: round trip with context takeover, window 8 deflates as zlib requires (9)', async (t) => {
  for (const bits of [8, 9, 12, 15]) {
    const p = { ...params, ownMaxWindowBits: bits, peerMaxWindowBits: bits }
    const a = new PerMessageDeflate(p, defaults)
    const b = new PerMessageDeflate(p, defaults)
    t.teardown(() => {
      a.close()
      b.close()
    })
    for (let i = 0; i < 3; i++) {
      const msg = Buffer.from(`message ${i} `.repeat(200 + i))
      const c = await run(a, 'compress', msg)
      t.is(c.err, null)
      // The trailer 00 00 ff ff is removed (§7.2.1), and the second message reuses the window (takeover).
      t.not(c.out?.subarray(-4).toString('hex'), '0000ffff')
      const d = await run(b, 'decompress', c.out as Buffer)
      t.true(d.out?.equals(msg), `window ${bits}, message ${i}`)
    }
  }
})

test('engine: a decompression bomb fails with 1009 and never holds much more than the limit', async (t) => {
  // 64 MiB of zeros deflate to ~64 KiB; the limit is 1 MiB.
  const bomb = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 })
  t.true(bomb.length < 100 * 1024)
  const pmd = new PerMessageDeflate(params, defaults)
  t.teardown(() => pmd.close())
  const before = process.memoryUsage().arrayBuffers
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers)
  }, 1)
  const r = await run(pmd, 'decompress', bomb, 1024 * 1024)
  clearInterval(sampler)
  peak = Math.max(peak, process.memoryUsage().arrayBuffers)
  t.is(r.err?.closeCode, 1009)
  t.log(`arrayBuffers growth during the bomb: ${((peak - before) / 1048576).toFixed(1)} MiB`)
  t.true(peak - before < 16 * 1024 * 1024, `grew ${peak - before} bytes`)
  // The same data without a limit would be 64 MiB: the limit is what stopped it.
  const control = new PerMessageDeflate(params, defaults)
  t.teardown(() => control.close())
  t.is((await run(control, 'decompress', bomb, 0)).out?.length, 64 * 1024 * 1024)
})

test('engine: invalid DEFLATE data fails with 1007', async (t) => {
  const pmd = new PerMessageDeflate(params, defaults)
  t.teardown(() => pmd.close())
  t.is((await run(pmd, 'decompress', Buffer.from('ffffffff', 'hex'))).err?.closeCode, 1007)
})

test('engine: close() completes a pending job with an error and later jobs too (no leak, no hang)', async (t) => {
  const pmd = new PerMessageDeflate(params, defaults)
  const pending = run(pmd, 'compress', Buffer.alloc(1 << 20, 1))
  pmd.close()
  t.is((await pending).err?.closeCode, 1006)
  t.is((await run(pmd, 'decompress', Buffer.from('f248cdc9c90700', 'hex'))).err?.closeCode, 1006)
})

test('Limiter: at most `limit` jobs at once, in FIFO order', (t) => {
  const limiter = new Limiter(2)
  const started: number[] = []
  const finishers: Array<() => void> = []
  for (let i = 0; i < 5; i++) {
    limiter.add((done) => {
      started.push(i)
      finishers.push(done)
    })
  }
  t.deepEqual(started, [0, 1])
  finishers[0]?.()
  finishers[0]?.() // a second done() of the same job changes nothing
  t.deepEqual(started, [0, 1, 2])
  finishers[1]?.()
  finishers[2]?.()
  t.deepEqual(started, [0, 1, 2, 3, 4])
})
