/**
 * permessage-deflate hardening (issue 13), each test named after what it stops, server and client role, over a
 * raw TCP peer on 127.0.0.1 (conn-pair). The backend comes from FERROSOCKET_BACKEND (npm test runs both).
 */
import zlib from 'node:zlib'
import test from 'ava'
import type { Extension } from '../ts/connection/types.js'
import { collect, connPair, frameHex, PMD, ROLES, until } from './helpers/conn-pair.js'

const DEFLATE = { perMessageDeflate: true }

/** A message's payload as most senders write it: sync-flushed, the 00 00 ff ff tail removed (RFC 7692 §7.2.1). */
function syncFlushed(text: string): Buffer {
  const z = zlib.deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
  return z.subarray(0, z.length - 4)
}

/** A message's payload ending its DEFLATE stream with a final block (BFINAL = 1), as RFC 7692 §7.2.3 allows. */
const finalBlock = (text: string): Buffer => zlib.deflateRawSync(Buffer.from(text))

for (const role of ROLES) {
  const peer = role === 'server' ? 'client' : 'server'
  const agreements: Array<[string, Extension[]]> = [
    ['context takeover', PMD],
    [`${peer}_no_context_takeover`, [{ name: 'permessage-deflate', params: [{ name: `${peer}_no_context_takeover` }] }]],
  ]
  for (const [name, extensions] of agreements) {
    test(`${role} (${name}): a message ending its DEFLATE stream (BFINAL=1) — later messages not lost`, async (t) => {
      const p = await connPair(t, role, DEFLATE, { extensions })
      const got = collect(p)
      p.send(
        frameHex(0xc1, finalBlock('first')) +
          frameHex(0xc1, syncFlushed('second')) +
          frameHex(0xc1, finalBlock('third')) +
          frameHex(0xc1, syncFlushed('fourth')),
      )
      await until(() => got.length === 4 || !p.conn.connected)
      t.deepEqual(got.map((m) => m.d), ['first', 'second', 'third', 'fourth'])
      t.true(p.conn.connected)
    })
  }
}
