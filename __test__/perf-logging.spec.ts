/**
 * Connection and server logging under `ferrosocket:connection` / `ferrosocket:server` (debug package): close
 * reasons and state changes when enabled, and nothing at all written when disabled (the per-message path only
 * reads `log.enabled`).
 */
import { format } from 'node:util'
import test from 'ava'
import createDebug from 'debug'
import { connPair } from './helpers/conn-pair.js'

const lines: string[] = []
createDebug.log = (...args: unknown[]): void => {
  lines.push(format(...args))
}

test.serial('disabled: messages and closes write no log line', async (t) => {
  createDebug.disable()
  lines.length = 0
  const p = await connPair(t, 'server')
  p.conn.on('message', (m) => (m.type === 'utf8' ? p.conn.sendUTF(m.utf8Data) : undefined))
  p.send('8102' + '6869')
  await p.waitFrames((f) => f.length === 1)
  p.conn.close(1000, 'done')
  await p.waitFrames((f) => f.length === 2)
  t.deepEqual(lines, [])
})

test.serial('enabled: close() and the close reason are logged', async (t) => {
  createDebug.enable('ferrosocket:connection')
  t.teardown(() => createDebug.disable())
  lines.length = 0
  const p = await connPair(t, 'server')
  p.conn.close(4001, 'going')
  await p.waitFrames((f) => f.length === 1)
  p.send('8802' + '0fa1')
  p.peer.end()
  const closed = await p.closed()
  t.is(closed.code, 4001)
  t.true(lines.some((l) => l.includes('ferrosocket:connection') && l.includes('close(4001, going)')), lines.join('\n'))
  t.true(lines.some((l) => l.includes('close frame received: 4001')), lines.join('\n'))
})

test.serial('enabled: a protocol error drop is logged with its code and reason', async (t) => {
  createDebug.enable('ferrosocket:connection')
  t.teardown(() => createDebug.disable())
  lines.length = 0
  const p = await connPair(t, 'server')
  p.send('8300') // reserved opcode
  const closed = await p.closed()
  t.is(closed.code, 1002)
  t.true(lines.some((l) => l.includes('drop(1002')), lines.join('\n'))
})
