/**
 * One adapter per benchmarked implementation. Each runs in its own child process (fresh module instances and type
 * feedback: one implementation's JIT state would otherwise skew another's, by up to 2×), selected by id; `env` is
 * what the parent sets for that child.
 *
 * Every adapter exposes the same operations on the same arguments, calling exactly what the implementation's own
 * code calls: ws's `lib/buffer-util.js` / `lib/validation.js` / `lib/receiver.js` as shipped (with their size
 * cut-offs), websocket@1.0.35's `bufferutil` + `utf-8-validate@5` (resolved from its own directory) and its
 * `WebSocketFrame` + `FastBufferList`, our `codec` seam as shipped.
 */
import { createRequire } from 'node:module'
import { isUtf8 } from 'node:buffer'
import path from 'node:path'

import type { Codec } from '../../ts/codec/types.js'
import {
  D_PAYLOAD_LENGTH,
  D_PAYLOAD_OFFSET,
  FRAME_STRIDE,
  PARSE_EXPECT_MASKED,
  S_CONSUMED,
  S_ERROR,
  STATE_SLOTS,
} from '../../ts/codec/types.js'
import { maskedHeaderLength } from './workloads.js'

const require = createRequire(import.meta.url)

/**
 * A parser fed one chunk of complete frames per call; returns the total payload bytes delivered, or -1 on any
 * error.
 */
export interface FrameParser {
  parse(chunk: Buffer): number
  /** The payload of the last message delivered by the last `parse` (for verification before timing). */
  lastPayload(): Uint8Array | undefined
}

export interface Adapter {
  /** What the implementation is, as printed in reports. */
  readonly label: string
  /** Free-form facts recorded with the results (backend, dispatch, versions). */
  readonly notes: string[]
  mask?(source: Uint8Array, key: Uint8Array, output: Uint8Array, offset: number, length: number): void
  unmask?(buffer: Uint8Array, key: Uint8Array): void
  isValidUtf8?(buffer: Uint8Array): boolean
  utf8Stream?(state: number, buffer: Uint8Array, final: boolean): number
  createParser?(): FrameParser
}

export interface ImplSpec {
  readonly id: string
  readonly label: string
  /** Environment of the child process (merged over the parent's, with the FERROSOCKET_/WS_ switches cleared). */
  readonly env: Record<string, string>
  /** A peer (counts for "best peer"), ours, or the limit row. */
  readonly role: 'ours' | 'peer' | 'limit'
}

export const IMPLS: readonly ImplSpec[] = [
  { id: 'native', label: 'ferrosocket native (codec as shipped)', env: { FERROSOCKET_BACKEND: 'native' }, role: 'ours' },
  {
    id: 'native-raw',
    label: 'ferrosocket addon direct (loadNativeCodec)',
    env: { FERROSOCKET_BACKEND: 'native' },
    role: 'ours',
  },
  { id: 'ts', label: 'ferrosocket TS twin', env: { FERROSOCKET_BACKEND: 'ts' }, role: 'ours' },
  { id: 'ws', label: 'ws + bufferutil (as shipped)', env: {}, role: 'peer' },
  {
    id: 'ws-js',
    label: 'ws JS fallback',
    env: { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' },
    role: 'peer',
  },
  { id: 'websocket', label: 'websocket@1.0.35', env: {}, role: 'peer' },
  { id: 'limit', label: 'limit (Buffer.copy / buffer.isUtf8)', env: {}, role: 'limit' },
]

/** Implementations of the threshold scan: the raw addon (no seam cut-off) vs the twin. */
export const THRESHOLD_IMPLS: readonly ImplSpec[] = [
  { id: 'native-raw', label: 'addon direct (loadNativeCodec)', env: { FERROSOCKET_BACKEND: 'native' }, role: 'ours' },
  { id: 'ts', label: 'TS twin (tsCodec)', env: { FERROSOCKET_BACKEND: 'ts' }, role: 'ours' },
]

const PARSE_OPTIONS = {
  flags: PARSE_EXPECT_MASKED,
  maxFrameSize: 2 ** 31,
  maxMessageSize: 2 ** 31,
  maxFragments: 0,
}

// The compiled seam (dist/, which `npm run bench` builds first) is what users run, so that is what is measured;
// its types are the sources'. Loaded by path at run time so that type-checking does not need a build.
type CodecModule = typeof import('../../ts/codec/index.js')
const CODEC_PATH = '../../dist/codec/index.js'

async function codecModule(): Promise<CodecModule> {
  return (await import(CODEC_PATH)) as CodecModule
}

function fromCodec(label: string, codec: Codec, notes: string[]): Adapter {
  return {
    label,
    notes,
    mask: (s, k, o, off, len) => codec.mask(s, k, o, off, len),
    unmask: (b, k) => codec.unmask(b, k),
    isValidUtf8: (b) => codec.isValidUtf8(b),
    utf8Stream: (st, b, fin) => codec.utf8Stream(st, b, fin),
    createParser() {
      const state = new Float64Array(STATE_SLOTS)
      const out = new Float64Array(FRAME_STRIDE * 128)
      let last: Buffer | undefined
      return {
        // parseFrames + the Buffer view a receiver must hand to its user: the same end product as ws's 'message'.
        parse(chunk) {
          let start = 0
          let total = 0
          while (start < chunk.length) {
            const n = codec.parseFrames(chunk, start, chunk.length, PARSE_OPTIONS, state, out)
            if (n === 0 || state[S_ERROR] !== 0) return -1
            for (let i = 0; i < n; i++) {
              const offset = out[i * FRAME_STRIDE + D_PAYLOAD_OFFSET] ?? 0
              const length = out[i * FRAME_STRIDE + D_PAYLOAD_LENGTH] ?? 0
              last = chunk.subarray(offset, offset + length)
              total += length
            }
            start = state[S_CONSUMED] ?? chunk.length
          }
          return total
        },
        lastPayload: () => last,
      }
    },
  }
}

interface WsReceiver {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void
  on(event: 'error', listener: (err: Error) => void): void
  write(chunk: Buffer): boolean
}

function wsAdapter(label: string): Adapter {
  // ws's package.json "exports" hides lib/: load the shipped files by path.
  const wsDir = path.dirname(require.resolve('ws/package.json'))
  const bufferUtil = require(path.join(wsDir, 'lib/buffer-util.js')) as {
    mask: NonNullable<Adapter['mask']>
    unmask: NonNullable<Adapter['unmask']>
  }
  const validation = require(path.join(wsDir, 'lib/validation.js')) as { isValidUTF8: (b: Uint8Array) => boolean }
  const Receiver = require(path.join(wsDir, 'lib/receiver.js')) as new (opts: object) => WsReceiver
  const notes = [
    `ws ${(require('ws/package.json') as { version: string }).version}`,
    process.env['WS_NO_BUFFER_UTIL'] ? 'mask/unmask: JS byte loop' : 'mask/unmask: JS below 48/32 B, bufferutil above',
    // ws prefers buffer.isUtf8 whenever Node has it; WS_NO_UTF_8_VALIDATE only drops utf-8-validate.
    'UTF-8: JS below 24 B, buffer.isUtf8 above (WS_NO_UTF_8_VALIDATE does not change this on Node >= 18.14)',
  ]
  return {
    label,
    notes,
    mask: bufferUtil.mask,
    unmask: bufferUtil.unmask,
    isValidUtf8: validation.isValidUTF8,
    createParser() {
      // Receiver.write → 'message' (a Buffer; ws does not decode text), emitted synchronously (allowSynchronousEvents).
      const receiver = new Receiver({ isServer: true, maxPayload: 0, binaryType: 'nodebuffer' })
      let last: Buffer | undefined
      let total = 0
      let failed = false
      receiver.on('message', (data) => {
        last = data
        total += data.length
      })
      receiver.on('error', () => {
        failed = true
      })
      return {
        parse(chunk) {
          total = 0
          receiver.write(chunk) // 'message' listeners run synchronously inside
          return failed ? -1 : total
        },
        lastPayload: () => last,
      }
    },
  }
}

interface WsNodeFrame {
  addData(list: unknown): boolean
  protocolError: boolean
  frameTooLarge: boolean
  opcode: number
  binaryPayload: Buffer
}

function websocketAdapter(): Adapter {
  // Resolve bufferutil and utf-8-validate exactly as websocket@1.0.35's own files do (utf-8-validate@5 is nested).
  const frameFile = require.resolve('websocket/lib/WebSocketFrame.js')
  const fromFrame = createRequire(frameFile)
  const bufferUtil = fromFrame('bufferutil') as {
    mask: NonNullable<Adapter['mask']>
    unmask: NonNullable<Adapter['unmask']>
  }
  const fromConnection = createRequire(require.resolve('websocket/lib/WebSocketConnection.js'))
  const isValidUTF8 = fromConnection('utf-8-validate') as (b: Uint8Array) => boolean
  const WebSocketFrame = require(frameFile) as new (maskBytes: Buffer, header: Buffer, config: object) => WsNodeFrame
  const BufferList = require('websocket/vendor/FastBufferList.js') as new () => { write(b: Buffer): void; length: number }
  const version = (p: string) => (fromConnection(`${p}/package.json`) as { version: string }).version
  return {
    label: 'websocket@1.0.35',
    notes: [`bufferutil ${version('bufferutil')} and utf-8-validate ${version('utf-8-validate')} at every size`],
    mask: bufferUtil.mask,
    unmask: bufferUtil.unmask,
    isValidUtf8: isValidUTF8,
    createParser() {
      // What processReceivedData + processFrame do per frame, minus their nextTick/setImmediate scheduling and the
      // final toString of text: BufferList.write, a new WebSocketFrame, addData (copy out + unmask), then
      // utf-8-validate@5 on text. This is favourable to websocket (its real path also defers every frame).
      const list = new BufferList()
      const maskBytes = Buffer.alloc(4)
      const header = Buffer.alloc(10)
      const config = { maxReceivedFrameSize: 2 ** 31 }
      let last: Buffer | undefined
      return {
        parse(chunk) {
          list.write(chunk)
          let total = 0
          while (list.length > 0) {
            const f = new WebSocketFrame(maskBytes, header, config)
            if (!f.addData(list) || f.protocolError || f.frameTooLarge) return -1
            if (f.opcode === 1 && !isValidUTF8(f.binaryPayload)) return -1
            last = f.binaryPayload
            total += last.length
          }
          return total
        },
        lastPayload: () => last,
      }
    },
  }
}

function limitAdapter(): Adapter {
  return {
    label: 'limit (Buffer.copy / buffer.isUtf8)',
    notes: ['mask: source.copy(output, offset); unmask: copy into a second buffer; parse: copy the payload out (+ isUtf8 for text)'],
    mask: (s, _k, o, off, len) => {
      Buffer.prototype.copy.call(s, o, off, 0, len)
    },
    unmask: (b) => {
      Buffer.prototype.copy.call(b, scratch(b.length), 0, 0, b.length)
    },
    isValidUtf8: (b) => isUtf8(b),
    createParser() {
      let last: Buffer | undefined
      return {
        // The ceiling of a parser: read the length, copy the payload once; no unmask, no header checks.
        parse(chunk) {
          let pos = 0
          let total = 0
          while (pos < chunk.length) {
            const len7 = (chunk[pos + 1] ?? 0) & 0x7f
            const length =
              len7 < 126 ? len7 : len7 === 126 ? chunk.readUInt16BE(pos + 2) : chunk.readUInt32BE(pos + 6)
            const start = pos + maskedHeaderLength(length)
            const dest = scratch(length)
            chunk.copy(dest, 0, start, start + length)
            last = dest.subarray(0, length)
            if (((chunk[pos] ?? 0) & 0x0f) === 1 && !isUtf8(last)) return -1
            total += length
            pos = start + length
          }
          return total
        },
        lastPayload: () => last,
      }
    },
  }
}

let scratchBuffer = Buffer.alloc(0)
function scratch(length: number): Buffer {
  if (scratchBuffer.length < length) scratchBuffer = Buffer.alloc(length)
  return scratchBuffer
}

/** Builds the adapter of `id` in this process. Throws with the reason when it cannot be built. */
export async function loadAdapter(id: string): Promise<Adapter> {
  switch (id) {
    case 'native': {
      const mod = await codecModule()
      if (mod.codec.backend !== 'native') throw new Error(`codec backend is ${mod.codec.backend}, not native`)
      return fromCodec('ferrosocket native (codec as shipped)', mod.codec, [
        'codec seam as shipped: argument checks, then the twin below its size cut-offs, the addon above',
        'addon picks its AVX2 kernel at run time (is_x86_feature_detected) when the CPU has it',
      ])
    }
    case 'native-raw': {
      const mod = await codecModule()
      const nat = mod.loadNativeCodec()
      if (!nat) throw new Error('loadNativeCodec() gave no native codec (addon not built or not loadable)')
      return fromCodec('ferrosocket addon direct (loadNativeCodec)', nat, [
        'validated like the seam, then always the addon (no small-size cut-off)',
      ])
    }
    case 'ts': {
      return fromCodec('ferrosocket TS twin', (await codecModule()).tsCodec, [])
    }
    case 'ws':
      return wsAdapter('ws + bufferutil (as shipped)')
    case 'ws-js':
      return wsAdapter('ws JS fallback')
    case 'websocket':
      return websocketAdapter()
    case 'limit':
      return limitAdapter()
    default:
      throw new Error(`unknown implementation ${id}`)
  }
}
