// Install tests (issue 8): the package as a user gets it, from tarballs, offline, into fresh projects.
// `npm pack` the main package and the linux-x64-gnu platform package, then:
//  - main + platform package → backend 'native', an echo round trip works (ESM and CJS consumers);
//  - main package alone (what an unsupported platform gets) → backend 'ts', same round trip, nothing alarming printed;
//  - a TypeScript consumer in the style of @types/websocket users compiles against the shipped declarations;
//  - the `browser` export condition resolves to the browser shim, which works in headless Chromium;
//  - deep imports `ferrosocket/lib/<Name>` give the main entry's values, from CJS and ESM; a CommonJS TypeScript
//    project compiles with `module: node16` and `nodenext` (no TS1479) and runs;
//  - a fresh clone's `npm install` leaves `git status` clean (the lock file agrees with package.json).
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }
const work = mkdtempSync(path.join(tmpdir(), 'ferrosocket-install-'))
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 })

let mainTarball = ''
let platformTarball = ''

test.before(() => {
  // dist/ must be current: build it exactly as `npm install` (prepare) does.
  execFileSync('npm', ['run', '--silent', 'build:ts'], { cwd: root, stdio: 'inherit', timeout: 120_000 })
  mainTarball = path.join(work, npm(['pack', '--ignore-scripts', '--pack-destination', work], root).trim().split('\n').pop()!)
  const native = path.join(root, 'ferrosocket.linux-x64-gnu.node')
  if (!existsSync(native)) throw new Error(`the native addon is missing (${native}): run npm run build:native`)
  const platDir = path.join(work, 'linux-x64-gnu')
  cpSync(path.join(root, 'npm', 'linux-x64-gnu'), platDir, { recursive: true })
  cpSync(native, path.join(platDir, 'ferrosocket.linux-x64-gnu.node'))
  platformTarball = path.join(work, npm(['pack', '--pack-destination', work], platDir).trim().split('\n').pop()!)
})

test.after.always(() => rmSync(work, { recursive: true, force: true }))

function project(name: string, tarballs: string[]): string {
  const dir = path.join(work, name)
  cpSync(path.join(root, '__test__', 'package', 'fixture'), dir, { recursive: true })
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }))
  npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], dir)
  return dir
}

function run(dir: string, file: string, env: NodeJS.ProcessEnv = {}) {
  const env2: NodeJS.ProcessEnv = { ...process.env }
  delete env2.FERROSOCKET_BACKEND
  delete env2.NODE_OPTIONS
  Object.assign(env2, env)
  const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 30_000, env: env2 })
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() }
}

test('main + linux-x64-gnu package: native backend, echo works from ESM and CJS', (t) => {
  const dir = project('with-native', [mainTarball, platformTarball])
  const esm = run(dir, 'echo.mjs')
  t.is(esm.status, 0, esm.stderr)
  t.is(esm.stdout, 'native echo:hello ferrosocket')
  const cjs = run(dir, 'echo.cjs')
  t.is(cjs.status, 0, cjs.stderr)
  t.is(cjs.stdout, 'native echo:hello ferrosocket same-instance')
})

test('main package alone (unsupported platform): TS twin, same echo, nothing alarming printed', (t) => {
  const dir = project('ts-only', [mainTarball])
  const esm = run(dir, 'echo.mjs')
  t.is(esm.status, 0, esm.stderr)
  t.is(esm.stdout, 'ts echo:hello ferrosocket')
  t.is(esm.stderr, '')
  const cjs = run(dir, 'echo.cjs')
  t.is(cjs.status, 0, cjs.stderr)
  t.is(cjs.stdout, 'ts echo:hello ferrosocket same-instance')
  t.is(cjs.stderr, '')
  const forced = run(dir, 'echo.mjs', { FERROSOCKET_BACKEND: 'native' })
  t.not(forced.status, 0)
  t.regex(forced.stderr, /native/i)
})

test('deep imports ferrosocket/lib/<Name> give the main entry\'s values, from CJS and ESM; lib/utils is not public', (t) => {
  const dir = project('deep', [mainTarball])
  const names = ['WebSocketServer', 'WebSocketClient', 'WebSocketRequest', 'WebSocketConnection', 'WebSocketFrame',
    'WebSocketRouter', 'WebSocketRouterRequest', 'W3CWebSocket', 'websocket', 'version', 'Deprecation']
  const cjs = run(dir, 'deep.cjs')
  t.is(cjs.status, 0, cjs.stderr)
  t.is(cjs.stdout, [...names.map((n) => `${n}:true:true`), 'browser:version+w3cwebsocket', 'utils:MODULE_NOT_FOUND'].join(' '))
  t.is(cjs.stderr, '')
  const esm = run(dir, 'deep.mjs')
  t.is(esm.status, 0, esm.stderr)
  t.is(esm.stdout, [...names.map((n) => `${n}:true`), 'browser:version+w3cwebsocket'].join(' '))
})

// TS1479 ("the referenced file is an ECMAScript module and cannot be imported with 'require'") is what a CommonJS
// project with `module: node16` got; package.json's `types.require` condition gives it CommonJS declarations.
for (const mod of ['node16', 'nodenext']) {
  test(`CommonJS TypeScript project, module: ${mod}: named, require, default and deep imports compile (each deep import typed as the main entry's value) and run`, (t) => {
    const dir = project(`cjs-${mod}`, [mainTarball])
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: mod,
          strict: true,
          outDir: 'out',
          types: ['node'],
          typeRoots: [path.join(root, 'node_modules', '@types')],
        },
        files: ['cjs-consumer.cts', 'deep-types.cts'],
      }),
    )
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
    t.is(r.status, 0, r.stdout + r.stderr)
    const ran = run(dir, path.join('out', 'cjs-consumer.cjs'))
    t.is(ran.status, 0, ran.stderr)
    t.is(ran.stdout, 'echo:cjs true true')
  })
}

// What a contributor does first: clone, `npm install`. The tracked lock file must already be what npm writes
// (it once pinned `debug` to 4.4.3 while package.json asked for ^4.4.3, so every install rewrote it).
// ferrosocket/redis (issue 15): the subpath resolves from the tarball, types included; with the `redis` peer installed
// it carries a publish between two servers over a real redis-server; without it the main entry is unaffected and the
// adapter reports the missing package instead of crashing.
test('ferrosocket/redis subpath: with the redis peer a publish crosses servers; without it a clear adapterError', async (t) => {
  t.timeout(180_000)
  const { startRedis } = await import('../helpers/redis-server.js')
  const redis = await startRedis()
  t.teardown(() => redis.dispose())
  const peer = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> })
    .devDependencies.redis!
  const dir = project('with-redis', [mainTarball, `redis@${peer}`])
  const r = run(dir, 'redis.mjs', { REDIS_URL: redis.url })
  t.is(r.status, 0, r.stderr)
  t.is(r.stdout.split('\n')[0], 'utf8 über redis')
  t.true(existsSync(path.join(dir, 'node_modules', 'ferrosocket', 'dist', 'redis', 'index.d.ts')))
  // A CommonJS TypeScript project (module: node16) gets CommonJS declarations for the subpath too (no TS1479).
  writeFileSync(
    path.join(dir, 'redis-consumer.cts'),
    `import { redisAdapter } from 'ferrosocket/redis'\n` +
      `const adapter = redisAdapter({ url: 'redis://127.0.0.1:1', channelPrefix: 'app:' })\n` +
      `void adapter.close()\n`,
  )
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'node16',
        strict: true,
        noEmit: true,
        types: ['node'],
        typeRoots: [path.join(root, 'node_modules', '@types')],
      },
      files: ['redis-consumer.cts'],
    }),
  )
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  })
  t.is(tsc.status, 0, tsc.stdout + tsc.stderr)

  const bare = project('without-redis', [mainTarball])
  t.false(existsSync(path.join(bare, 'node_modules', 'redis')))
  const probe =
    `import { redisAdapter } from 'ferrosocket/redis'\n` +
    `const a = redisAdapter({ url: 'redis://127.0.0.1:1' })\n` +
    `a.attach({ deliverRemote: () => 0, localTopics: () => [], reportError: (e) => console.log(e.code, e.message) })\n` +
    `await a.ready().catch(() => {})\nawait a.close()\n`
  writeFileSync(path.join(bare, 'probe.mjs'), probe)
  const p = run(bare, 'probe.mjs')
  t.is(p.status, 0, p.stderr)
  t.regex(p.stdout, /FERROSOCKET_REDIS_CONNECTION .*needs the `redis` package.*npm install redis/)
})

test('a fresh clone stays clean after npm install (package-lock.json agrees with package.json)', (t) => {
  const clone = path.join(work, 'clone')
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone], { stdio: 'ignore', timeout: 60_000 })
  npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], clone)
  const status = execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' })
  t.is(status, '', `npm install changed tracked files:\n${status}${execFileSync('git', ['diff'], { cwd: clone, encoding: 'utf8' })}`)
})

test('TypeScript consumer written like an @types/websocket user compiles against the shipped .d.ts; ESM deep imports typed as the main entry', (t) => {
  const dir = project('ts-consumer', [mainTarball])
  // The drop-in consumer of types-dropin.spec.ts (written for @types/websocket 1.0.10, strict) with only its module
  // name changed, as a migrating user does: here against the packed declarations, not the sources.
  const dropIn = readFileSync(path.join(root, '__test__', 'types', 'drop-in', 'consumer.ts'), 'utf8')
  const renamed = dropIn.replaceAll(" from 'websocket'", " from 'ferrosocket'")
  t.is(renamed.split(" from 'ferrosocket'").length - 1, 2, 'both imports of the drop-in consumer renamed')
  writeFileSync(path.join(dir, 'dropin.ts'), renamed)
  // @types/node comes from the repository (the fixture project is offline and has no dev dependencies).
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        types: ['node'],
        typeRoots: [path.join(root, 'node_modules', '@types')],
      },
      files: ['consumer.ts', 'dropin.ts', 'deep-types.mts'],
    }),
  )
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFiles'], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
  t.is(r.status, 0, r.stdout + r.stderr)
  t.regex(r.stdout, /node_modules\/ferrosocket\/dist\/(cjs\/)?index\.d\.ts/)
})

// The original's `browser` field mapped the package to a shim exporting { w3cwebsocket, version } with the browser's
// own WebSocket. Bundlers resolve ferrosocket's `browser` export condition the same way; here Node resolves it with
// --conditions=browser, and the resolved file runs in headless Chromium as an ES module against our echo server.
test('browser entry: the browser condition gives { w3cwebsocket, version }, free of Node APIs, working in Chromium', async (t) => {
  t.timeout(90_000)
  const dir = project('browser', [mainTarball])
  const probe = `const u = import.meta.resolve('ferrosocket'); const m = await import('ferrosocket');` +
    `console.log(JSON.stringify({ file: new URL(u).pathname, keys: Object.keys(m).sort(), version: m.version }))`
  const r = spawnSync(process.execPath, ['--conditions=browser', '--input-type=module', '-e', probe], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
  })
  t.is(r.status, 0, r.stderr)
  const got = JSON.parse(r.stdout) as { file: string; keys: string[]; version: string }
  t.true(got.file.endsWith('/node_modules/ferrosocket/dist/browser.js'), got.file)
  t.deepEqual(got.keys, ['default', 'version', 'w3cwebsocket'])
  t.is(got.version, pkg.version)
  // What a bundler would pull in: browser.js and what it imports, none of it Node's.
  const distDir = path.dirname(got.file)
  const code = (f: string) =>
    readFileSync(path.join(distDir, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const shipped = ['browser.js', 'version.js'].map(code)
  for (const src of shipped) t.notRegex(src, /from ['"]node:|require\(|createRequire/)
  t.deepEqual([...shipped[0]!.matchAll(/from ['"](\.[^'"]+)['"]/g)].map((m) => m[1]), ['./version.js'])

  // Chromium: the page imports the installed browser.js and talks to a ferrosocket echo server through it.
  const { chromium } = await import('playwright-core')
  const { default: http } = await import('node:http')
  const { server: WebSocketServer } = await import('../../ts/index.js')
  const httpServer = http.createServer((req, res) => {
    const file = req.url === '/browser.js' || req.url === '/version.js' ? path.join(distDir, req.url) : null
    if (file) res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file))
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>browser entry</title>')
  })
  const wsServer = new WebSocketServer({ httpServer })
  wsServer.on('request', (req) => {
    const c = req.accept('echo', req.origin)
    c.on('message', (m) => m.type === 'utf8' && c.sendUTF(`echo:${m.utf8Data}`))
  })
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    wsServer.shutDown()
    httpServer.close()
  })
  const { port } = httpServer.address() as { port: number }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], timeout: 30_000 })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  await page.goto(`http://127.0.0.1:${port}/`, { timeout: 15_000 })
  const result = await page.evaluate(`(async () => {
    const m = await import('/browser.js')
    const ws = new m.w3cwebsocket('ws://127.0.0.1:${port}/', 'echo')
    const reply = await new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error('no echo within 10 s')), 10000)
      ws.onopen = () => ws.send('hi from the page')
      ws.onmessage = (e) => resolve(e.data)
      ws.onerror = () => reject(new Error('websocket error'))
    })
    const out = { reply, native: ws instanceof WebSocket, protocol: ws.protocol, OPEN: m.w3cwebsocket.OPEN,
      CLOSED: m.default.w3cwebsocket.CLOSED, version: m.version }
    ws.close()
    return out
  })()`)
  t.deepEqual(result, { reply: 'echo:hi from the page', native: true, protocol: 'echo', OPEN: 1, CLOSED: 3, version: pkg.version })
})

test('the version constant is package.json\'s', async (t) => {
  const { version } = await import('../../ts/version.js')
  t.is(version, pkg.version)
})
