/**
 * Joins the fragments of one data message (RFC 6455 §5.4). The codec already checked the sequence, the message
 * size and the fragment count from the headers, so this only collects bytes.
 */
import { Buffer } from 'node:buffer'

const EMPTY = Buffer.alloc(0)
const MIN_MESSAGE_BUFFER = 1024

export class MessageAssembler {
  /** Opcode of the message being (or last) assembled: 1 text, 2 binary. */
  opcode = 0
  private buf: Buffer | null = null
  private len = 0

  /**
   * Adds one fragment (`opcode` ≠ 0 starts a message). Returns the whole message after the FIN fragment, else
   * null. The buffer grows by doubling, capped at `maxMessageSize`.
   */
  add(opcode: number, fin: boolean, payload: Buffer, maxMessageSize: number): Buffer | null {
    if (opcode !== 0) {
      this.opcode = opcode
      this.len = 0
      this.buf = null
    }
    const len = payload.length
    if (len > 0) {
      // Copied (not kept as views): a view would pin the whole socket chunk, and 16k tiny fragments
      // each pinning a 64 KiB chunk would be a memory amplifier.
      const need = this.len + len
      let buf = this.buf
      if (buf === null || buf.length < need) {
        const doubled = Math.min(2 * (buf?.length ?? 0), maxMessageSize)
        const grown = Buffer.allocUnsafe(Math.max(need, MIN_MESSAGE_BUFFER, doubled))
        if (buf !== null) buf.copy(grown, 0, 0, this.len)
        buf = this.buf = grown
      }
      payload.copy(buf, this.len)
      this.len = need
    }
    if (!fin) return null
    const data = this.buf === null ? EMPTY : this.buf.subarray(0, this.len)
    this.reset()
    return data
  }

  /** Forgets the message in progress. */
  reset(): void {
    this.buf = null
    this.len = 0
  }
}
