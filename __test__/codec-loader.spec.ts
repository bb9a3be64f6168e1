// The loader in child processes: each environment switch, the fallback to the twin, the strict native mode and
// require(esm) of the compiled seam. Every child is bounded by a timeout that fails the test.
import test from 'ava'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ABI_VERSION, loadNative, platformArchABI } from '../ts/codec/loader.js'
import { ADDON_EXPORTS } from '../ts/codec/native.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const probe = fileURLToPath(new URL('fixtures/loader-probe.mjs', import.meta.url))
const fakeAddon = fileURLToPath(new URL('fixtures/loader-fake-addon.mjs', import.meta.url))
const addonPath = join(root, `ferrosocket.${platformArchABI()}.node`)
const addonBuilt = existsSync(addonPath)

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(args: string[], env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env }
  for (const k of ['FERROSOCKET_BACKEND', 'FERROSOCKET_NATIVE_PATH', 'NODE_DEBUG', 'DEBUG']) delete childEnv[k]
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child timed out after ${timeoutMs} ms: ${args.join(' ')}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

const probeRun = (env: Record<string, string | undefined>) => run(['--import', '@oxc-node/core/register', probe], env)

interface ProbeOutput {
  backend: string
  sample: unknown
  loadErrors: Array<{ path: string; reason: string }>
}

function parseProbe(r: Run): ProbeOutput {
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ProbeOutput
}

test('FERROSOCKET_BACKEND=ts: the twin, no native attempt, nothing printed', async (t) => {
  const r = await probeRun({ FERROSOCKET_BACKEND: 'ts', FERROSOCKET_NATIVE_PATH: '/nonexistent.node' })
  t.is(r.code, 0, r.stderr)
  const p = parseProbe(r)
  t.is(p.backend, 'ts')
  t.deepEqual(p.loadErrors, [], 'the addon was not even looked for')
  t.is(r.stderr, '')
})

test('FERROSOCKET_BACKEND=native: the addon, with the same sample results as the twin', async (t) => {
  t.true(addonBuilt, `the addon must be built for this test (npm run build:native): ${addonPath}`)
  const [n, ts] = await Promise.all([probeRun({ FERROSOCKET_BACKEND: 'native' }), probeRun({ FERROSOCKET_BACKEND: 'ts' })])
  t.is(n.code, 0, n.stderr)
  t.is(parseProbe(n).backend, 'native')
  t.deepEqual(parseProbe(n).sample, parseProbe(ts).sample)
})

test('a relative FERROSOCKET_NATIVE_PATH is resolved against the working directory', async (t) => {
  t.true(addonBuilt, `the addon must be built for this test (npm run build:native): ${addonPath}`)
  const r = await probeRun({ FERROSOCKET_BACKEND: 'native', FERROSOCKET_NATIVE_PATH: `./ferrosocket.${platformArchABI()}.node` })
  t.is(r.code, 0, r.stderr)
  t.is(parseProbe(r).backend, 'native')
})

test('default mode picks the local build when it exists', async (t) => {
  const r = await probeRun({})
  t.is(r.code, 0, r.stderr)
  t.is(parseProbe(r).backend, addonBuilt ? 'native' : 'ts')
  t.is(r.stderr, '')
})

test('FERROSOCKET_NATIVE_PATH=/nonexistent.node falls back to the twin quietly, with identical results', async (t) => {
  const [r, ts] = await Promise.all([probeRun({ FERROSOCKET_NATIVE_PATH: '/nonexistent.node' }), probeRun({ FERROSOCKET_BACKEND: 'ts' })])
  t.is(r.code, 0, r.stderr)
  const p = parseProbe(r)
  t.is(p.backend, 'ts')
  t.deepEqual(p.sample, parseProbe(ts).sample)
  t.is(r.stderr, '', 'nothing alarming printed')
  // Only that path was tried (not the local build that exists next to the loader).
  t.deepEqual(p.loadErrors.map((e) => e.path), ['/nonexistent.node'])
})

for (const [value, want] of [['TS', 'ts'], [' Ts ', 'ts'], ['NATIVE', 'native'], ['Auto', 'auto'], ['', 'auto']] as const) {
  test(`FERROSOCKET_BACKEND=${JSON.stringify(value)} is read case-insensitively: ${want}`, async (t) => {
    if (want !== 'ts') t.true(addonBuilt, `the addon must be built for this test (npm run build:native): ${addonPath}`)
    const r = await probeRun({ FERROSOCKET_BACKEND: value })
    t.is(r.code, 0, r.stderr)
    t.is(parseProbe(r).backend, want === 'auto' ? 'native' : want)
    if (want === 'ts') t.deepEqual(parseProbe(r).loadErrors, [], 'the addon was not even looked for')
  })
}

for (const value of ['rust', 'js', 'typescript', 'nativ', '0']) {
  test(`FERROSOCKET_BACKEND=${value} is refused at import with an error naming the value and the choices`, async (t) => {
    const r = await probeRun({ FERROSOCKET_BACKEND: value })
    t.not(r.code, 0)
    t.is(r.stdout, '')
    t.true(r.stderr.includes(`FERROSOCKET_BACKEND="${value}" is not a backend`), r.stderr)
    t.regex(r.stderr, /Use 'native' .*'ts' .*'auto'/)
  })
}

test('FERROSOCKET_BACKEND=native with a missing addon exits non-zero naming the path and the reason', async (t) => {
  const r = await probeRun({ FERROSOCKET_BACKEND: 'native', FERROSOCKET_NATIVE_PATH: '/nonexistent.node' })
  t.not(r.code, 0)
  t.is(r.stdout, '')
  t.regex(r.stderr, /FERROSOCKET_BACKEND=native requires the native addon/)
  t.regex(r.stderr, /\/nonexistent\.node: Cannot find module/)
})

test('an addon with another ABI version is refused; DEBUG=ferrosocket:* prints exactly one line saying why', async (t) => {
  const r = await probeRun({ FERROSOCKET_NATIVE_PATH: fakeAddon, DEBUG: 'ferrosocket:*' })
  t.is(r.code, 0, r.stderr)
  t.is(parseProbe(r).backend, 'ts')
  const lines = r.stderr.trim().split('\n')
  t.is(lines.length, 1, r.stderr)
  t.regex(lines[0]!, /ferrosocket:codec codec backend=ts \(native addon not loaded: .*loader-fake-addon\.mjs: abiVersion\(\) returned 1, expected 3\)$/)
  const strict = await probeRun({ FERROSOCKET_NATIVE_PATH: fakeAddon, FERROSOCKET_BACKEND: 'native' })
  t.not(strict.code, 0)
  t.regex(strict.stderr, /abiVersion\(\) returned 1, expected 3/)
})

test('the compiled seam loads through require(esm) (no top-level await) and finds an explicit addon', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ferrosocket-codec-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  const tsc = join(root, 'node_modules/typescript/bin/tsc')
  const files = ['index', 'loader', 'native', 'types', 'validate'].map((f) => join(root, `ts/codec/${f}.ts`))
  const compiled = await run(
    [tsc, '--outDir', out, '--rootDir', join(root, 'ts'), '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node', '--skipLibCheck', '--strict', ...files],
    {},
    90_000,
  )
  t.is(compiled.code, 0, compiled.stdout + compiled.stderr)
  writeFileSync(join(out, 'package.json'), '{"type":"module"}')
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules')) // the runtime dependency `debug`
  const script = `const m = require(${JSON.stringify(join(out, 'codec/index.js'))}); console.log(m.backend, m.codec.isValidUtf8(Buffer.from('c2a9', 'hex')))`
  const r = await run(['-e', script], { FERROSOCKET_NATIVE_PATH: addonBuilt ? addonPath : undefined })
  t.is(r.code, 0, r.stderr)
  t.is(r.stdout.trim(), `${addonBuilt ? 'native' : 'ts'} true`)
})

/**
 * The export list of every ABI version, as released. Never edit a version's row: a change of the addon's exports
 * (or of what one means) gets a new ABI_VERSION (crates/ferrosocket-node/src/cold.rs and ts/codec/loader.ts) and a
 * new row, so a stale addon is refused by number instead of failing on its first call.
 */
const EXPORTS_BY_ABI: Record<number, readonly string[]> = {
  2: [
    'abiVersion',
    'closePayloadStatus',
    'decodeUtf8',
    'encodeClosePayload',
    'encodeHeader',
    'encodeMessage',
    'encodedLength',
    'isValidCloseCode',
    'isValidUtf8',
    'mask',
    'maskFrame',
    'parseFrames',
    'unmask',
    'utf8Stream',
  ],
  3: [
    'abiVersion',
    'closePayloadStatus',
    'decodeUtf8',
    'encodeClosePayload',
    'encodeHeader',
    'encodeMessage',
    'encodedLength',
    'isValidCloseCode',
    'isValidUtf8',
    'mask',
    'maskFrame',
    'parseFrames',
    'textAppend',
    'textCreate',
    'textFinish',
    'textReset',
    'textTakeBytes',
    'unmask',
    'utf8Stream',
  ],
}

test('the built addon exports exactly the TS contract, and that list is the one recorded for its ABI version', (t) => {
  t.true(addonBuilt, `the addon must be built for this test (npm run build:native): ${addonPath}`)
  const n = loadNative({ FERROSOCKET_NATIVE_PATH: addonPath })
  t.deepEqual(n.errors, [])
  const exported = Object.keys(n.addon!).sort()
  t.deepEqual(exported, [...ADDON_EXPORTS].sort(), 'ADDON_EXPORTS in ts/codec/native.ts lists every export, no more')
  t.is(n.addon!.abiVersion(), ABI_VERSION)
  t.deepEqual(
    exported,
    [...(EXPORTS_BY_ABI[ABI_VERSION] ?? [])],
    `the exports changed: raise ABI_VERSION (cold.rs and loader.ts) and record the new list as a new row`,
  )
})

test('an addon of the right version that lacks one export is refused: twin with a debug line, or an Error under native', async (t) => {
  t.true(addonBuilt, `the addon must be built for this test (npm run build:native): ${addonPath}`)
  const dir = mkdtempSync(join(tmpdir(), 'ferrosocket-partial-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const partial = join(dir, 'partial-addon.cjs')
  // The real addon minus decodeUtf8: what a build from before that export looked like (same ABI number).
  writeFileSync(partial, `const a = require(${JSON.stringify(addonPath)}); const o = { ...a }; delete o.decodeUtf8; module.exports = o\n`)
  const direct = loadNative({ FERROSOCKET_NATIVE_PATH: partial })
  t.is(direct.codec, null)
  t.deepEqual(direct.errors.map((e) => e.reason), ['the addon lacks the export decodeUtf8() (stale build? npm run build:native)'])
  const r = await probeRun({ FERROSOCKET_NATIVE_PATH: partial, DEBUG: 'ferrosocket:*' })
  t.is(r.code, 0, r.stderr)
  t.is(parseProbe(r).backend, 'ts')
  const lines = r.stderr.trim().split('\n')
  t.is(lines.length, 1, r.stderr)
  t.regex(lines[0]!, /ferrosocket:codec codec backend=ts \(native addon not loaded: .*partial-addon\.cjs: the addon lacks the export decodeUtf8\(\)/)
  const strict = await probeRun({ FERROSOCKET_NATIVE_PATH: partial, FERROSOCKET_BACKEND: 'native' })
  t.not(strict.code, 0)
  t.regex(strict.stderr, /FERROSOCKET_BACKEND=native requires the native addon/)
  t.regex(strict.stderr, /lacks the export decodeUtf8\(\)/)
})
