//! N-API glue over `ferrosocket-core`: zero-copy slices in, plain numbers out.
//!
//! Every export is a thin wrapper: check the JS arguments (`args.rs`), form slices, call the
//! core. Typed-array parameters borrow the caller's memory for the duration of the call only
//! (`napi_get_typedarray_info`, no `napi_ref`), which keeps the per-call cost near the raw
//! N-API floor. `catch_unwind` on every export turns a panic into a JS exception instead of
//! unwinding into V8. Where two arrays are passed, they may view the same `ArrayBuffer`; the
//! glue checks for overlap before it forms a `&mut` slice, so aliasing can never become UB.

#![deny(clippy::all)]

mod args;

use args::{index, overlaps, range_error, type_error, MAX_SAFE_INTEGER};
use ferrosocket_core::{
    close, fragment, header,
    parse::{self, ParseLimits, FRAME_STRIDE, STATE_SLOTS},
    utf8,
};
use napi::{
    bindgen_prelude::{Buffer, Float64ArraySlice, Uint8ArraySlice},
    Env, Result,
};
use napi_derive::napi;

/// Version of the addon's calling convention; the TS loader refuses a mismatch.
#[napi(catch_unwind)]
pub fn abi_version() -> u32 {
    1
}

/// output[offset + i] = source[i] ^ key[i & 3] for i in 0..length. `mask` is the key as a
/// big-endian u32. Overlapping source/output behave as if the source were read first.
#[napi(catch_unwind)]
pub fn mask(
    env: Env,
    source: Uint8ArraySlice,
    mask: u32,
    mut output: Uint8ArraySlice,
    offset: f64,
    length: f64,
) -> Result<()> {
    let offset = index(&env, offset, output.len() as f64, "offset")? as usize;
    let length = index(&env, length, source.len() as f64, "length")? as usize;
    if length > output.len() - offset {
        return Err(range_error(
            &env,
            "The output buffer is too small for \"length\" bytes at \"offset\"",
        ));
    }
    let key = mask.to_be_bytes();
    let src = source.as_ptr();
    let alias = overlaps(src, length, output[offset..].as_ptr(), length);
    // SAFETY: `output` is a live typed array borrowed for this synchronous call; no other Rust
    // reference to its memory exists while `dst` lives (the source is only read through `src`
    // when it does not overlap `dst`).
    let dst = unsafe { &mut output.as_mut()[offset..offset + length] };
    if alias {
        // SAFETY: both ranges are inside live buffers of `length` bytes; `copy` allows overlap.
        unsafe { core::ptr::copy(src, dst.as_mut_ptr(), length) };
        ferrosocket_core::unmask(dst, key);
    } else {
        // SAFETY: `src..src+length` is inside `source` and disjoint from `dst`.
        let src = unsafe { core::slice::from_raw_parts(src, length) };
        ferrosocket_core::mask(src, key, dst);
    }
    Ok(())
}

/// buffer[i] ^= key[i & 3] in place; `mask` is the key as a big-endian u32.
#[napi(catch_unwind)]
pub fn unmask(mut buffer: Uint8ArraySlice, mask: u32) {
    // SAFETY: the only reference to this live typed array during the synchronous call.
    ferrosocket_core::unmask(unsafe { buffer.as_mut() }, mask.to_be_bytes());
}

/// Whole-buffer UTF-8 validation (simdutf8).
#[napi(catch_unwind)]
pub fn is_valid_utf8(buffer: &[u8]) -> bool {
    utf8::is_valid_utf8(buffer)
}

/// Streaming UTF-8 validation: the new carry state, or -1 when invalid (see types.ts).
#[napi(catch_unwind)]
pub fn utf8_stream(state: f64, buffer: &[u8], is_final: bool) -> f64 {
    let valid_state = state.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&state);
    let state = if valid_state { state as u32 } else { u32::MAX };
    match utf8::utf8_stream(state, buffer, is_final) {
        Ok(s) => f64::from(s),
        Err(()) => -1.0,
    }
}

/// Batch-parse the complete frames of `buf[start..end)`; see `parseFrames` in types.ts.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn parse_frames(
    env: Env,
    mut buf: Uint8ArraySlice,
    start: f64,
    end: f64,
    flags: u32,
    max_frame_size: f64,
    max_message_size: f64,
    max_fragments: f64,
    mut state: Float64ArraySlice,
    mut out: Float64ArraySlice,
) -> Result<u32> {
    let end = index(&env, end, buf.len() as f64, "end")? as usize;
    let start = index(&env, start, end as f64, "start")? as usize;
    if state.len() < STATE_SLOTS {
        return Err(range_error(&env, "\"state\" must be a Float64Array of at least 8 elements"));
    }
    if out.len() < FRAME_STRIDE {
        return Err(range_error(&env, "\"out\" must be a Float64Array of at least 4 elements"));
    }
    let (b, s, o) = (buf.as_ptr(), state.as_ptr().cast::<u8>(), out.as_ptr().cast::<u8>());
    let (bl, sl, ol) = (buf.len(), state.len() * 8, out.len() * 8);
    if overlaps(b, bl, s, sl) || overlaps(b, bl, o, ol) || overlaps(s, sl, o, ol) {
        return Err(range_error(&env, "\"buf\", \"state\" and \"out\" must not share memory"));
    }
    let limits = ParseLimits { flags, max_frame_size, max_message_size, max_fragments };
    // SAFETY: three live, pairwise disjoint typed arrays borrowed for this synchronous call.
    let (buf, state, out) = unsafe { (buf.as_mut(), state.as_mut(), out.as_mut()) };
    Ok(parse::parse_frames(buf, start, end, &limits, state, out) as u32)
}

/// Encode one frame header at out[offset..]; `mask_key` is a big-endian u32 or -1 for none.
/// Returns the header length.
#[napi(catch_unwind)]
pub fn encode_header(
    env: Env,
    mut out: Uint8ArraySlice,
    offset: f64,
    bits: f64,
    payload_length: f64,
    mask_key: f64,
) -> Result<u32> {
    let offset = index(&env, offset, out.len() as f64, "offset")? as usize;
    let bits = index(&env, bits, 255.0, "bits")? as u8;
    let len = index(&env, payload_length, MAX_SAFE_INTEGER, "payloadLength")?;
    let key = if mask_key == -1.0 {
        None
    } else {
        Some((index(&env, mask_key, f64::from(u32::MAX), "maskKey")? as u32).to_be_bytes())
    };
    // SAFETY: the only reference to this live typed array during the synchronous call.
    let out = unsafe { &mut out.as_mut()[offset..] };
    match header::encode_header(out, bits, len, key) {
        Some(n) => Ok(n as u32),
        None => Err(range_error(&env, "The output buffer is too small for the frame header")),
    }
}

/// Bytes of all headers + payloads of a message (see `encodedLength` in types.ts).
#[napi(catch_unwind)]
pub fn encoded_length(env: Env, payload_length: f64, threshold: f64, masked: bool) -> Result<f64> {
    let len = index(&env, payload_length, MAX_SAFE_INTEGER, "payloadLength")?;
    let threshold = index(&env, threshold, MAX_SAFE_INTEGER, "threshold")?;
    Ok(fragment::encoded_length(len, threshold, masked) as f64)
}

/// Write all frames of a message at out[offset..]; returns the bytes written.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn encode_message(
    env: Env,
    payload: Uint8ArraySlice,
    opcode: f64,
    rsv1: bool,
    threshold: f64,
    mask_keys: Option<Uint8ArraySlice>,
    mut out: Uint8ArraySlice,
    offset: f64,
) -> Result<f64> {
    let opcode = index(&env, opcode, 15.0, "opcode")? as u8;
    let threshold = index(&env, threshold, MAX_SAFE_INTEGER, "threshold")?;
    let offset = index(&env, offset, out.len() as f64, "offset")? as usize;
    let dst = out[offset..].as_ptr();
    let dst_len = out.len() - offset;
    if overlaps(payload.as_ptr(), payload.len(), dst, dst_len)
        || mask_keys.as_ref().is_some_and(|k| overlaps(k.as_ptr(), k.len(), dst, dst_len))
    {
        return Err(range_error(
            &env,
            "\"out\" must not share memory with \"payload\" or \"maskKeys\"",
        ));
    }
    // SAFETY: `out` is live for this call and disjoint from the two read-only arrays.
    let dst = unsafe { &mut out.as_mut()[offset..] };
    match fragment::encode_message(&payload, opcode, rsv1, threshold, mask_keys.as_deref(), dst) {
        Ok(n) => Ok(n as f64),
        Err(fragment::EncodeError::OutputTooSmall) => {
            Err(range_error(&env, "The output buffer is too small for the encoded message"))
        }
        Err(fragment::EncodeError::NotEnoughMaskKeys) => {
            Err(range_error(&env, "\"maskKeys\" must hold 4 bytes per frame"))
        }
    }
}

/// Whether a close code may be sent on the wire (§7.4).
#[napi(catch_unwind)]
pub fn is_valid_close_code(code: f64) -> bool {
    code.fract() == 0.0
        && (0.0..=f64::from(u32::MAX)).contains(&code)
        && close::is_valid_close_code(code as u32)
}

/// 2-byte big-endian code + UTF-8 reason; RangeError for a code that may not be sent or a payload
/// over 125 bytes.
#[napi(catch_unwind)]
pub fn encode_close_payload(env: Env, code: f64, reason: String) -> Result<Buffer> {
    if !is_valid_close_code(code) {
        return Err(range_error(&env, &format!("Invalid close code: {code}")));
    }
    match close::encode_close_payload(code as u32, &reason) {
        Ok(v) => Ok(v.into()),
        Err(close::CloseEncodeError::InvalidCode) => Err(type_error(&env, "Invalid close code")),
        Err(close::CloseEncodeError::TooLong) => Err(range_error(
            &env,
            "The close reason is too long (the payload must be at most 125 bytes)",
        )),
    }
}

/// The close code of an (unmasked) close payload (1005 when empty), or minus the `ErrorCode`
/// that rejects it. The caller decodes the reason (bytes 2..) itself when the result is positive.
#[napi(catch_unwind)]
pub fn close_payload_status(payload: &[u8]) -> i32 {
    match close::decode_close_payload(payload) {
        Ok((code, _)) => i32::from(code),
        Err(e) => -i32::from(e as u8),
    }
}
