/**
 * Finds the native addon, napi-rs style, but ends in the TypeScript twin instead of throwing.
 *
 * Order: `FERROSOCKET_BACKEND=ts` → twin, nothing loaded. Else `FERROSOCKET_NATIVE_PATH` (that file only) →
 * the local build `../../ferrosocket.<platformArchABI>.node` (ts/ and dist/ sit at the same depth, so the path
 * holds from `ts/codec/` under oxc-node and from `dist/codec/` after tsc) → the per-platform package
 * `ferrosocket-<platformArchABI>` → the twin. An addon is used only if `abiVersion() === ABI_VERSION` and it has
 * every export the TS side calls (swc's sanity check: a stale or foreign .node file must not be trusted with our
 * buffers). `FERROSOCKET_BACKEND=native` turns any
 * failure into an Error listing every path tried (CI uses it to prove the native path really ran).
 * No top-level await: `require(esm)` of the package must keep working.
 */
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createNativeCodec, missingExport, type NativeAddon } from './native.js'
import type { Codec } from './types.js'

/**
 * ABI version this TypeScript layer was written against (the addon's `abiVersion()`, `ABI_VERSION` in
 * `crates/ferrosocket-node/src/cold.rs`). Raised with every change of the addon's exports or of their meaning;
 * `codec-loader.spec.ts` records the export list of each version, so an export added without raising it fails.
 * 2: decodeUtf8 validates while transcoding (simdutf) and parseFrames takes PARSE_DEFER_TEXT; maskFrame required.
 * 3: textCreate/textAppend/textFinish/textTakeBytes/textReset (text messages in pieces, validated once); under
 *    PARSE_DEFER_TEXT parseFrames leaves every uncompressed text frame unvalidated (D_TEXT_UNCHECKED).
 */
export const ABI_VERSION = 3

/** One failed attempt to load the addon. */
export interface LoadError {
  /** What was tried: a file path or a package name. */
  readonly path: string
  /** Why it failed (first line of the error). */
  readonly reason: string
}

/** Outcome of looking for the addon. */
export interface NativeLoad {
  /** The native codec, or null when no addon could be loaded. */
  readonly codec: Codec | null
  /** The raw addon exports (for tests of the binding itself), or null. */
  readonly addon: NativeAddon | null
  /** Path or package the addon came from, or null. */
  readonly source: string | null
  /** Every failed attempt, in order. */
  readonly errors: readonly LoadError[]
}

const require = createRequire(import.meta.url)

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const nl = text.indexOf('\n')
  return nl === -1 ? text : text.slice(0, nl)
}

/** musl or glibc, the way napi-rs decides: a glibc runtime version in the process report means glibc. */
function isMusl(): boolean {
  const report = process.report as { getReport(): object; excludeNetwork?: boolean } | undefined
  if (report === undefined || typeof report.getReport !== 'function') return false
  const previous = report.excludeNetwork
  try {
    // Network interfaces are irrelevant here and can be slow to enumerate.
    report.excludeNetwork = true
    const header = (report.getReport() as { header?: { glibcVersionRuntime?: unknown } }).header
    return typeof header?.glibcVersionRuntime !== 'string'
  } catch {
    return false
  } finally {
    report.excludeNetwork = previous
  }
}

/** napi-rs `platformArchABI` of this process (file and package suffix), or null for unsupported platforms. */
export function platformArchABI(): string | null {
  const { platform, arch } = process
  if (platform === 'linux' && (arch === 'x64' || arch === 'arm64')) return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'darwin' && (arch === 'x64' || arch === 'arm64')) return `darwin-${arch}`
  if (platform === 'win32' && arch === 'x64') return 'win32-x64-msvc'
  return null
}

function tryLoad(specifier: string, label: string, errors: LoadError[]): { addon: NativeAddon; codec: Codec } | null {
  try {
    const addon = require(specifier) as NativeAddon
    const abi = typeof addon.abiVersion === 'function' ? addon.abiVersion() : undefined
    if (abi !== ABI_VERSION) {
      errors.push({ path: label, reason: `abiVersion() returned ${String(abi)}, expected ${ABI_VERSION}` })
      return null
    }
    // An addon of the right version built before an export existed (a stale local build) must not load as native:
    // the first call of the missing function would throw deep inside a connection.
    const missing = missingExport(addon)
    if (missing !== null) {
      errors.push({ path: label, reason: `the addon lacks the export ${missing}() (stale build? npm run build:native)` })
      return null
    }
    return { addon, codec: createNativeCodec(addon) }
  } catch (err) {
    errors.push({ path: label, reason: firstLine(err) })
    return null
  }
}

/**
 * Look for the addon (ignores `FERROSOCKET_BACKEND`; tests use this to compare backends in one process).
 * Never throws.
 */
export function loadNative(env: NodeJS.ProcessEnv = process.env): NativeLoad {
  const errors: LoadError[] = []
  const candidates: Array<[specifier: string, label: string]> = []
  const explicit = env.FERROSOCKET_NATIVE_PATH
  if (explicit !== undefined && explicit !== '') {
    // Relative to the working directory, as a user typing the variable expects (require() alone would resolve it
    // against this file).
    const file = resolve(explicit)
    candidates.push([file, file])
  } else {
    const abi = platformArchABI()
    if (abi === null) {
      errors.push({ path: `ferrosocket.${process.platform}-${process.arch}.node`, reason: 'no prebuilt addon for this platform' })
    } else {
      const local = `../../ferrosocket.${abi}.node`
      candidates.push([local, fileURLToPath(new URL(local, import.meta.url))])
      candidates.push([`ferrosocket-${abi}`, `ferrosocket-${abi}`])
    }
  }
  for (const [specifier, label] of candidates) {
    const loaded = tryLoad(specifier, label, errors)
    if (loaded !== null) return { codec: loaded.codec, addon: loaded.addon, source: label, errors }
  }
  return { codec: null, addon: null, source: null, errors }
}

/** The backend choice from the environment: 'ts' forced, 'native' required, or automatic. */
export type BackendMode = 'ts' | 'native' | 'auto'

/**
 * `FERROSOCKET_BACKEND`, in any case, surrounding blanks ignored: `native`, `ts`, `auto` (or unset/empty, the same).
 * Anything else throws: `=rust` or a typo silently running another backend would make a benchmark or a CI run that
 * set it prove nothing.
 */
export function backendMode(env: NodeJS.ProcessEnv = process.env): BackendMode {
  const raw = env.FERROSOCKET_BACKEND
  const v = (raw ?? '').trim().toLowerCase()
  if (v === 'ts' || v === 'native') return v
  if (v === '' || v === 'auto') return 'auto'
  throw new Error(
    `ferrosocket: FERROSOCKET_BACKEND=${JSON.stringify(raw)} is not a backend. ` +
      "Use 'native' (the Rust addon, required), 'ts' (the TypeScript twin) or 'auto' (the default: the addon if it " +
      'loads, else the twin), in any case, or leave it unset.',
  )
}

/** Message of the Error thrown when `FERROSOCKET_BACKEND=native` and no addon loads. */
export function nativeRequiredMessage(errors: readonly LoadError[]): string {
  const lines = errors.map((e) => `  - ${e.path}: ${e.reason}`)
  return (
    'ferrosocket: FERROSOCKET_BACKEND=native requires the native addon, but it could not be loaded. Tried:\n' +
    (lines.length > 0 ? lines.join('\n') : '  (nothing)') +
    '\nBuild it with `npm run build:native`, set FERROSOCKET_NATIVE_PATH, or unset FERROSOCKET_BACKEND.'
  )
}
