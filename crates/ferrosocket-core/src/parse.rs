//! Batch parsing (`parseFrames` in `ts/codec/types.ts`): every complete frame of a socket chunk in
//! one call — header checks, message sequencing (§5.4), unmasking in place, UTF-8 of text and
//! close payloads — with descriptors written into a caller-owned `f64` array.
//!
//! One native call per chunk instead of per frame amortises the N-API call cost (~50–100 ns) over
//! every frame in it. Limits are checked from the header, before any payload byte is looked at,
//! so an oversized frame is refused without buffering it.

use crate::{
    close::validate_close_payload,
    header::{check_first_bytes, header_len, is_control, read_payload_len, FIN, MASK, RSV1},
    mask::unmask,
    utf8::utf8_stream,
    ProtocolError,
};

/// `f64` slots per frame descriptor in `out`.
pub const FRAME_STRIDE: usize = 4;
/// Descriptor slot: first header byte | MASK bit << 8.
pub const D_BITS: usize = 0;
/// Descriptor slot: absolute payload start in `buf`.
pub const D_PAYLOAD_OFFSET: usize = 1;
/// Descriptor slot: payload length.
pub const D_PAYLOAD_LENGTH: usize = 2;
/// Descriptor slot: masking key as a big-endian u32, 0 when unmasked.
pub const D_MASK_KEY: usize = 3;

/// Flag: incoming frames must be masked (we are the server).
pub const PARSE_EXPECT_MASKED: u32 = 1;
/// Flag: RSV1 is allowed on the first frame of a data message (permessage-deflate).
pub const PARSE_ALLOW_RSV1: u32 = 2;
/// Flag: uncompressed text frames are not UTF-8 validated here; their descriptors get `D_TEXT_UNCHECKED` and the
/// caller validates each byte once: a whole message in one frame while decoding it (`text::decode`), the frames of
/// a fragmented message as it appends them (`text_message`). The message state's `S_UTF8` stays 0. Pending payloads
/// are the caller's anyway; close reasons are validated as always.
pub const PARSE_DEFER_TEXT: u32 = 4;
/// Bit in `D_BITS` of a text frame left unvalidated under `PARSE_DEFER_TEXT`.
pub const D_TEXT_UNCHECKED: u16 = 0x200;

/// Length of the `state` array.
pub const STATE_SLOTS: usize = 8;
/// (out) First byte not consumed.
pub const S_CONSUMED: usize = 0;
/// (out) Header bytes needed (no pending frame) or payload bytes missing (pending frame).
pub const S_NEED: usize = 1;
/// (out) 1 when a pending frame's descriptor follows the complete ones.
pub const S_PENDING: usize = 2;
/// (out) 0 or the `ProtocolError` number that stopped parsing.
pub const S_ERROR: usize = 3;
/// (in/out) Opcode of the data message in progress (| 0x40 when compressed), 0 when none.
pub const S_MESSAGE_OPCODE: usize = 4;
/// (in/out) Payload bytes of the data message in progress.
pub const S_MESSAGE_BYTES: usize = 5;
/// (in/out) Streaming UTF-8 state of the text message in progress.
pub const S_UTF8: usize = 6;
/// (in/out) Frames of the data message in progress.
pub const S_FRAGMENTS: usize = 7;

/// Parse options, kept as `f64` so that limit arithmetic is bit-identical to the TS twin's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParseLimits {
    /// `PARSE_EXPECT_MASKED | PARSE_ALLOW_RSV1`.
    pub flags: u32,
    /// Largest payload of one frame.
    pub max_frame_size: f64,
    /// Largest total payload of one data message.
    pub max_message_size: f64,
    /// Most frames in one data message; 0 = unlimited.
    pub max_fragments: f64,
}

/// A UTF-8 state slot as `u32`; anything that is not such an integer becomes an invalid state.
#[inline]
fn utf8_state(v: f64) -> u32 {
    if (0.0..=f64::from(u32::MAX)).contains(&v) && v.fract() == 0.0 {
        v as u32
    } else {
        u32::MAX
    }
}

/// Why the loop stopped.
enum Stop {
    /// All input consumed.
    End,
    /// Incomplete header or `out` full: the header bytes needed from `S_CONSUMED`.
    NeedHeader(usize),
    /// Pending frame: payload bytes still missing.
    Pending(f64),
    /// Protocol error at the frame starting at `S_CONSUMED`.
    Error(ProtocolError),
}

/// Parse every complete frame in `buf[start..end]` (see `parseFrames` in `ts/codec/types.ts`).
/// Returns the number of complete frames whose descriptors were written to `out`.
///
/// # Panics
/// When `start > end`, `end > buf.len()` or `state.len() < STATE_SLOTS` (callers check first).
pub fn parse_frames(
    buf: &mut [u8],
    start: usize,
    end: usize,
    limits: &ParseLimits,
    state: &mut [f64],
    out: &mut [f64],
) -> usize {
    assert!(start <= end && end <= buf.len() && state.len() >= STATE_SLOTS);
    let expect_masked = limits.flags & PARSE_EXPECT_MASKED != 0;
    let allow_rsv1 = limits.flags & PARSE_ALLOW_RSV1 != 0;
    let defer_text = limits.flags & PARSE_DEFER_TEXT != 0;
    let room = out.len() / FRAME_STRIDE;

    let mut msg_opcode = state[S_MESSAGE_OPCODE];
    let mut msg_bytes = state[S_MESSAGE_BYTES];
    let mut msg_utf8 = state[S_UTF8];
    let mut fragments = state[S_FRAGMENTS];

    let mut pos = start;
    let mut count = 0;
    let stop = loop {
        let avail = end - pos;
        if avail == 0 {
            break Stop::End;
        }
        if count >= room || avail < 2 {
            break Stop::NeedHeader(if avail < 2 { 2 } else { header_len(buf[pos + 1]) });
        }
        let (b0, b1) = (buf[pos], buf[pos + 1]);
        if let Err(e) = check_first_bytes(b0, b1, expect_masked, allow_rsv1) {
            break Stop::Error(e);
        }
        let opcode = b0 & 0x0f;
        let control = is_control(opcode);
        let in_message = msg_opcode != 0.0;
        if !control {
            if opcode == 0 && !in_message {
                break Stop::Error(ProtocolError::UnexpectedContinuation);
            }
            if opcode != 0 && in_message {
                break Stop::Error(ProtocolError::ExpectedContinuation);
            }
        }
        let hlen = header_len(b1);
        let len = match read_payload_len(&buf[pos..end]) {
            Err(e) => break Stop::Error(e),
            Ok(None) => break Stop::NeedHeader(hlen),
            Ok(Some(len)) => len,
        };
        let len_f = len as f64;
        if len_f > limits.max_frame_size {
            break Stop::Error(ProtocolError::FrameTooBig);
        }
        let (new_bytes, new_fragments) = (msg_bytes + len_f, fragments + 1.0);
        if !control {
            if new_bytes > limits.max_message_size {
                break Stop::Error(ProtocolError::MessageTooBig);
            }
            if limits.max_fragments > 0.0 && new_fragments > limits.max_fragments {
                break Stop::Error(ProtocolError::TooManyFragments);
            }
        }
        if avail < hlen {
            break Stop::NeedHeader(hlen);
        }

        let masked = b1 & MASK != 0;
        let mut key = [0u8; 4];
        if masked {
            key.copy_from_slice(&buf[pos + hlen - 4..pos + hlen]);
        }
        let payload_start = pos + hlen;
        let mut descriptor = [
            f64::from(u16::from(b0) | if masked { 0x100 } else { 0 }),
            payload_start as f64,
            len_f,
            f64::from(u32::from_be_bytes(key)),
        ];
        let first_opcode = f64::from(opcode | (b0 & RSV1));
        let present = (end - payload_start) as u64;
        if present < len {
            // Pending: the caller streams the rest of this payload through unmask/utf8Stream.
            out[count * FRAME_STRIDE..(count + 1) * FRAME_STRIDE].copy_from_slice(&descriptor);
            if !control {
                if opcode != 0 {
                    msg_opcode = first_opcode;
                }
                msg_bytes = new_bytes;
                fragments = new_fragments;
            }
            pos = payload_start;
            break Stop::Pending((len - present) as f64);
        }

        let payload = &mut buf[payload_start..payload_start + len as usize];
        if masked {
            unmask(payload, key);
        }
        if control {
            if opcode == 0x8 {
                if let Err(e) = validate_close_payload(payload) {
                    break Stop::Error(e);
                }
            }
        } else {
            let op = if opcode != 0 { first_opcode } else { msg_opcode };
            let mut utf8 = msg_utf8;
            // Text, not compressed (compressed payloads are validated after inflating).
            if op == 1.0 && defer_text {
                // The caller validates it once: a whole message in one frame as it decodes it, a fragment as it
                // appends it to the message (`text_message`).
                descriptor[0] =
                    f64::from(u16::from(b0) | if masked { 0x100 } else { 0 } | D_TEXT_UNCHECKED);
            } else if op == 1.0 {
                match utf8_stream(utf8_state(msg_utf8), payload, b0 & FIN != 0) {
                    Ok(s) => utf8 = f64::from(s),
                    Err(()) => break Stop::Error(ProtocolError::InvalidUtf8),
                }
            }
            if b0 & FIN != 0 {
                (msg_opcode, msg_bytes, msg_utf8, fragments) = (0.0, 0.0, 0.0, 0.0);
            } else {
                (msg_opcode, msg_bytes, msg_utf8, fragments) = (op, new_bytes, utf8, new_fragments);
            }
        }
        out[count * FRAME_STRIDE..(count + 1) * FRAME_STRIDE].copy_from_slice(&descriptor);
        count += 1;
        pos = payload_start + len as usize;
    };

    let (need, pending, error) = match stop {
        Stop::End => (0.0, 0.0, 0.0),
        Stop::NeedHeader(n) => (n as f64, 0.0, 0.0),
        Stop::Pending(n) => (n, 1.0, 0.0),
        Stop::Error(e) => (0.0, 0.0, f64::from(e as u8)),
    };
    state[S_CONSUMED] = pos as f64;
    state[S_NEED] = need;
    state[S_PENDING] = pending;
    state[S_ERROR] = error;
    state[S_MESSAGE_OPCODE] = msg_opcode;
    state[S_MESSAGE_BYTES] = msg_bytes;
    state[S_UTF8] = msg_utf8;
    state[S_FRAGMENTS] = fragments;
    count
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
