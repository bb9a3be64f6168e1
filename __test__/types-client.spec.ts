// The client-side typed surface: code written against @types/websocket names compiles against ferrosocket, and
// misuse that @types/websocket rejects is rejected too.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const FLAGS = [
  '--noEmit', '--strict', '--noUncheckedIndexedAccess', '--skipLibCheck',
  '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node',
]

function compile(file: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [tsc, ...FLAGS, file], { cwd: root, encoding: 'utf8', timeout: 90000 })
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

test('a @types/websocket-style client/w3cwebsocket/router consumer compiles', (t) => {
  const r = compile(path.join(root, '__test__', 'types', 'consumer-client.ts'))
  t.is(r.status, 0, r.output)
})

test('misuse is a type error (wrong URL type, reading bytes off a text event, unknown close field)', (t) => {
  const dir = mkdtempSync(path.join(root, 'node_modules', '.ferrosocket-types-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'bad.ts')
  const index = path.relative(dir, path.join(root, 'ts', 'index.js')).split(path.sep).join('/')
  writeFileSync(
    file,
    [
      `import { client, w3cwebsocket } from '${index}'`,
      `new client().connect(42)`,
      `const ws = new w3cwebsocket('ws://x/')`,
      `ws.onmessage = (e) => e.data.byteLength`,
      `ws.onclose = (e) => e.nope`,
      '',
    ].join('\n'),
  )
  const r = compile(file)
  t.not(r.status, 0)
  t.regex(r.output, /bad\.ts\(2,/)
  t.regex(r.output, /bad\.ts\(4,/)
  t.regex(r.output, /bad\.ts\(5,/)
})
