// The server-side public types compile for code written against @types/websocket (a consumer file under tsc).
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import test from 'ava'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

test('a @types/websocket-style server consumer type-checks under strict tsc', (t) => {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const args = [
    tsc,
    '--noEmit',
    '--strict',
    '--noUncheckedIndexedAccess',
    '--verbatimModuleSyntax',
    '--skipLibCheck',
    '--target',
    'ES2022',
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--types',
    'node',
    path.join(root, '__test__', 'types', 'consumer-server.ts'),
  ]
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 90_000 })
  t.is(r.status, 0, `${r.stdout}${r.stderr}`)
})
