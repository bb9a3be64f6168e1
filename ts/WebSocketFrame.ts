/**
 * One WebSocket frame (RFC 6455 §5.2), WebSocket-Node's `WebSocketFrame`: what `'frame'` events carry (with
 * `assembleFragments: false`) and what `connection.sendFrame()` sends. Serialisation goes through the codec;
 * mask keys come from the CSPRNG pool (the original used Math.random()).
 */
import { Buffer } from 'node:buffer'
import { codec } from './codec/index.js'
import { headerLength } from './codec/twin/header.js'
import type { ConnectionConfig } from './config.js'
import { takeMaskKey } from './maskKeys.js'

const DECODE_HEADER = 1
const WAITING_FOR_16_BIT_LENGTH = 2
const WAITING_FOR_64_BIT_LENGTH = 3
const WAITING_FOR_MASK_KEY = 4
const WAITING_FOR_PAYLOAD = 5
const COMPLETE = 6

/** The subset of WebSocket-Node's vendor FastBufferList that `addData` reads from. */
export interface IBufferList {
  readonly length: number
  joinInto(target: Buffer, targetStart: number, sourceStart: number, sourceEnd: number): Buffer
  advance(bytes: number): unknown
  take(bytes: number): Buffer
}

export class WebSocketFrame {
  fin = false
  rsv1 = false
  rsv2 = false
  rsv3 = false
  /** Whether the payload is (to be) masked. */
  mask = false
  opcode = 0
  length = 0
  /** The payload; for close frames the reason bytes after the 2-byte code. */
  binaryPayload: Buffer = Buffer.alloc(0)
  /** Close code of a close frame, -1 when none. */
  closeStatus = -1
  maskBytes: Buffer
  frameHeader: Buffer
  config: ConnectionConfig
  maxReceivedFrameSize: number
  protocolError = false
  frameTooLarge = false
  invalidCloseFrameLength = false
  /** Why `addData` refused the frame; undefined until then (declared `string`, as in `@types/websocket`). */
  dropReason: string = undefined as unknown as string
  parseState = DECODE_HEADER

  /** `maskBytes` (4 bytes) and `frameHeader` (10 bytes): scratch buffers, shared per connection in WebSocket-Node. */
  constructor(maskBytes?: Buffer, frameHeader?: Buffer, config?: ConnectionConfig) {
    this.maskBytes = maskBytes ?? Buffer.alloc(4)
    this.frameHeader = frameHeader ?? Buffer.alloc(10)
    this.config = config ?? {}
    const max = this.config.maxReceivedFrameSize
    this.maxReceivedFrameSize = typeof max === 'number' ? max : 0x100000
  }

  /** A frame already parsed and validated by the receive path. `bits` = first header byte | mask bit << 8. */
  static _fromParsed(
    bits: number,
    payload: Buffer,
    maskKey: number,
    maskBytes: Buffer,
    frameHeader: Buffer,
    config: ConnectionConfig,
  ): WebSocketFrame {
    const f = new WebSocketFrame(maskBytes, frameHeader, config)
    f.fin = (bits & 0x80) !== 0
    f.rsv1 = (bits & 0x40) !== 0
    f.rsv2 = (bits & 0x20) !== 0
    f.rsv3 = (bits & 0x10) !== 0
    f.mask = (bits & 0x100) !== 0
    f.opcode = bits & 0x0f
    f.length = payload.length
    if (f.mask) maskBytes.writeUInt32BE(maskKey >>> 0, 0)
    if (f.opcode === 0x08 && payload.length >= 2) {
      f.closeStatus = payload.readUInt16BE(0)
      f.binaryPayload = payload.subarray(2)
    } else {
      f.binaryPayload = payload
    }
    f.parseState = COMPLETE
    return f
  }

  /**
   * Incremental parser over a WebSocket-Node BufferList (compatibility API; the connection does not use it).
   * Returns true when the frame is complete or an error was found (`protocolError`/`frameTooLarge`/
   * `invalidCloseFrameLength` with `dropReason`).
   */
  addData(bufferList: IBufferList): boolean {
    if (this.parseState === DECODE_HEADER && bufferList.length >= 2) {
      bufferList.joinInto(this.frameHeader, 0, 0, 2)
      bufferList.advance(2)
      const b0 = this.frameHeader[0] as number
      const b1 = this.frameHeader[1] as number
      this.fin = (b0 & 0x80) !== 0
      this.rsv1 = (b0 & 0x40) !== 0
      this.rsv2 = (b0 & 0x20) !== 0
      this.rsv3 = (b0 & 0x10) !== 0
      this.mask = (b1 & 0x80) !== 0
      this.opcode = b0 & 0x0f
      this.length = b1 & 0x7f
      if (this.opcode >= 0x08) {
        if (this.length > 125) return this.fail('Illegal control frame longer than 125 bytes.')
        if (!this.fin) return this.fail('Control frames must not be fragmented.')
      }
      this.parseState =
        this.length === 126
          ? WAITING_FOR_16_BIT_LENGTH
          : this.length === 127
            ? WAITING_FOR_64_BIT_LENGTH
            : WAITING_FOR_MASK_KEY
    }
    if (this.parseState === WAITING_FOR_16_BIT_LENGTH && bufferList.length >= 2) {
      bufferList.joinInto(this.frameHeader, 2, 0, 2)
      bufferList.advance(2)
      this.length = this.frameHeader.readUInt16BE(2)
      this.parseState = WAITING_FOR_MASK_KEY
    } else if (this.parseState === WAITING_FOR_64_BIT_LENGTH && bufferList.length >= 8) {
      bufferList.joinInto(this.frameHeader, 2, 0, 8)
      bufferList.advance(8)
      if (this.frameHeader.readUInt32BE(2) !== 0) return this.fail('Unsupported 64-bit length frame received')
      this.length = this.frameHeader.readUInt32BE(6)
      this.parseState = WAITING_FOR_MASK_KEY
    }
    if (this.parseState === WAITING_FOR_MASK_KEY) {
      if (!this.mask) this.parseState = WAITING_FOR_PAYLOAD
      else if (bufferList.length >= 4) {
        bufferList.joinInto(this.maskBytes, 0, 0, 4)
        bufferList.advance(4)
        this.parseState = WAITING_FOR_PAYLOAD
      }
    }
    if (this.parseState === WAITING_FOR_PAYLOAD) {
      if (this.length > this.maxReceivedFrameSize) {
        this.frameTooLarge = true
        this.dropReason = `Frame size of ${this.length} bytes exceeds maximum accepted frame size`
        return true
      }
      if (this.length === 0) {
        this.binaryPayload = Buffer.alloc(0)
        this.parseState = COMPLETE
        return true
      }
      if (bufferList.length >= this.length) {
        const payload = Buffer.from(bufferList.take(this.length))
        bufferList.advance(this.length)
        if (this.mask) codec.unmask(payload, this.maskBytes)
        this.binaryPayload = payload
        if (this.opcode === 0x08) {
          if (this.length === 1) {
            this.binaryPayload = Buffer.alloc(0)
            this.invalidCloseFrameLength = true
          } else {
            this.closeStatus = payload.readUInt16BE(0)
            this.binaryPayload = payload.subarray(2)
          }
        }
        this.parseState = COMPLETE
        return true
      }
    }
    return false
  }

  /** Skips the rest of this frame's payload in `bufferList` (compatibility). */
  throwAwayPayload(bufferList: IBufferList): boolean {
    if (bufferList.length >= this.length) {
      bufferList.advance(this.length)
      this.parseState = COMPLETE
      return true
    }
    return false
  }

  /**
   * The exact wire bytes of this frame. Masked frames get a fresh CSPRNG key (also written to `maskBytes`), or a
   * zero key when `nullMask` is true (tests). Close frames carry `closeStatus` (when ≥ 0) then `binaryPayload`.
   */
  toBuffer(nullMask?: boolean): Buffer {
    let data: Uint8Array = this.binaryPayload ?? Buffer.alloc(0)
    if (this.opcode === 0x08 && this.closeStatus >= 0) {
      const close = Buffer.allocUnsafe(2 + data.length)
      close.writeUInt16BE(this.closeStatus & 0xffff, 0)
      close.set(data, 2)
      data = close
    }
    const len = data.length
    this.length = len
    const bits =
      (this.fin ? 0x80 : 0) |
      (this.rsv1 ? 0x40 : 0) |
      (this.rsv2 ? 0x20 : 0) |
      (this.rsv3 ? 0x10 : 0) |
      (this.opcode & 0x0f)
    const headerLen = headerLength(len, this.mask)
    const out = Buffer.allocUnsafe(headerLen + len)
    if (this.mask) {
      const key = nullMask === true ? 0 : takeMaskKey()
      if (this.maskBytes.length >= 4) this.maskBytes.writeUInt32BE(key, 0)
      codec.encodeHeader(out, 0, bits, len, key)
      codec.mask(data, out.subarray(headerLen - 4, headerLen), out, headerLen, len)
    } else {
      codec.encodeHeader(out, 0, bits, len, -1)
      out.set(data, headerLen)
    }
    return out
  }

  toString(): string {
    const hasPayload = this.binaryPayload !== undefined && this.binaryPayload !== null && this.binaryPayload.length > 0
    const { opcode, fin, length, mask } = this
    return `Opcode: ${opcode}, fin: ${fin}, length: ${length}, hasPayload: ${hasPayload}, masked: ${mask}`
  }

  private fail(reason: string): true {
    this.protocolError = true
    this.dropReason = reason
    return true
  }
}

export default WebSocketFrame
