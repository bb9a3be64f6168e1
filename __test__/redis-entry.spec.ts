// The main entry stays free of Redis: importing `ferrosocket` never loads the `redis` package (an optional peer
// dependency that only `ferrosocket/redis` needs), and `ferrosocket/redis` itself loads it only when it has to
// create a client from `url`. node-redis is CommonJS, so whatever loaded it shows in require.cache.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function loadedAfter(code: string): { redis: boolean; out: string } {
  const script =
    `import { createRequire } from 'node:module'\n${code}\n` +
    `const keys = Object.keys(createRequire(import.meta.url).cache)\n` +
    `console.log(JSON.stringify(keys.some((k) => /[\\\\/]node_modules[\\\\/](redis|@redis)[\\\\/]/.test(k))))`
  const r = spawnSync(process.execPath, ['--import', '@oxc-node/core/register', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (r.status !== 0) throw new Error(r.stderr)
  const out = r.stdout.trim()
  return { redis: JSON.parse(out.split('\n').pop()!) as boolean, out }
}

test('importing the main entry does not load the redis package', (t) => {
  t.false(loadedAfter(`await import('./ts/index.ts')`).redis)
})

test('importing ferrosocket/redis alone does not load it either; creating a client from a url does', (t) => {
  t.false(loadedAfter(`const m = await import('./ts/redis/index.ts'); if (typeof m.redisAdapter !== 'function') throw 1`).redis)
  // Positive control: the same probe sees redis once the adapter needs it (url mode, attach starts connecting).
  const used =
    `const { redisAdapter } = await import('./ts/redis/index.ts')\n` +
    `const a = redisAdapter({ url: 'redis://127.0.0.1:1' })\n` +
    `a.attach({ deliverRemote: () => 0, localTopics: () => [], reportError: () => {} })\n` +
    `await new Promise((r) => setTimeout(r, 300))\n` +
    `await a.close()\n` +
    `await a.ready().then(() => { throw new Error('ready after close') }, () => {})`
  t.true(loadedAfter(used).redis)
})
