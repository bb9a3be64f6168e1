//! The per-chunk and per-frame exports, on raw N-API callbacks (see `raw.rs` for why).
//!
//! Each body reads its arguments through `Call` (safe, typed reads), checks every index against the arrays it will slice
//! (RangeError), refuses arrays that share memory where a `&mut` slice is formed, and only then
//! builds slices and calls `ferrosocket-core`.

use crate::raw::{
    callback, export, index, js_bool, js_f64, js_undefined, overlaps, throw_range, Call, JsResult,
    Thrown,
};
use core::slice;
use ferrosocket_core::{
    close, fragment, header,
    parse::{self, ParseLimits, FRAME_STRIDE, STATE_SLOTS},
    text, utf8,
};
use napi::sys::{self, napi_callback_info, napi_env, napi_value};
use std::cell::RefCell;

/// Length of the `params` array of `parseFrames`.
const PARAM_SLOTS: usize = 6;

/// Largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// mask(source, key: u32, output, offset, length): output[offset + i] = source[i] ^ key[i & 3].
/// Overlapping source/output behave as if the whole source were read first (memmove).
fn mask(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_src, a_key, a_out, a_off, a_len] = cx.args::<5>()?;
    let (src, src_len) = a_src.bytes(c"\"source\" must be a Uint8Array")?;
    let key = a_key.uint32(c"\"mask\" must be a number")?.to_be_bytes();
    let (out, out_len) = a_out.bytes(c"\"output\" must be a Uint8Array")?;
    let offset = a_off.number(c"\"offset\" must be a number")?;
    let length = a_len.number(c"\"length\" must be a number")?;
    let offset = index(env, offset, out_len, c"\"offset\" is out of range")?;
    let length = index(env, length, src_len.min(out_len - offset), c"\"length\" is out of range")?;
    // SAFETY: offset + length <= out_len and length <= src_len, both arrays live for this call.
    unsafe { mask_into(src, key, out.add(offset), length) };
    js_undefined()
}

/// Largest offset `maskFrame` takes: key + offset * 2^32 must stay below 2^53.
const MASK_FRAME_MAX_OFFSET: f64 = 2_097_151.0;

/// maskFrame(source, keyAt, output) with keyAt = key + offset * 2^32 (offset < 2^21): the whole
/// source masked into output[offset..]. `mask` with the key and the offset in one number and the
/// length implied: 3 N-API argument reads instead of 5, measured 51.6 → 35 ns per call. The common
/// "whole payload behind its frame header" call of the sender.
fn mask_frame(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_src, a_key, a_out] = cx.args::<3>()?;
    let (src, src_len) = a_src.bytes(c"\"source\" must be a Uint8Array")?;
    let key_at = a_key.number(c"\"keyAt\" must be a number")?;
    let (out, out_len) = a_out.bytes(c"\"output\" must be a Uint8Array")?;
    let max = MASK_FRAME_MAX_OFFSET * 4_294_967_296.0 + 4_294_967_295.0;
    if !(key_at.fract() == 0.0 && (0.0..=max).contains(&key_at)) {
        return Err(throw_range(env, c"\"keyAt\" is out of range"));
    }
    let v = key_at as u64;
    let key = (v as u32).to_be_bytes();
    let offset = (v >> 32) as usize;
    if offset > out_len || src_len > out_len - offset {
        return Err(throw_range(env, c"\"source\" does not fit in \"output\" at the offset"));
    }
    // SAFETY: offset + src_len <= out_len; both arrays live for this call.
    unsafe { mask_into(src, key, out.add(offset), src_len) };
    js_undefined()
}

/// dst[i] = src[i] ^ key[i & 3] for i < length, memmove semantics when the ranges overlap.
///
/// # Safety
/// `src` and `dst` are valid for `length` bytes for the duration of the call.
unsafe fn mask_into(src: *const u8, key: [u8; 4], dst: *mut u8, length: usize) {
    if overlaps(src, length, dst, length) {
        // SAFETY: both ranges lie inside live buffers; `copy` allows overlap.
        unsafe { core::ptr::copy(src, dst, length) };
        // SAFETY: `dst` is valid for `length` bytes; after the copy no other reference to it exists.
        let d = unsafe { slice::from_raw_parts_mut(dst, length) };
        ferrosocket_core::unmask(d, key);
    } else {
        // SAFETY: disjoint ranges inside live buffers.
        let (s, d) =
            unsafe { (slice::from_raw_parts(src, length), slice::from_raw_parts_mut(dst, length)) };
        ferrosocket_core::mask(s, key, d);
    }
}

/// unmask(buffer, key: u32): buffer[i] ^= key[i & 3] in place.
fn unmask(cx: &Call<'_>) -> JsResult {
    let [a_buf, a_key] = cx.args::<2>()?;
    let (p, len) = a_buf.bytes(c"\"buffer\" must be a Uint8Array")?;
    let key = a_key.uint32(c"\"mask\" must be a number")?.to_be_bytes();
    // SAFETY: the only reference to this live typed array during the call.
    ferrosocket_core::unmask(unsafe { slice::from_raw_parts_mut(p, len) }, key);
    js_undefined()
}

/// isValidUtf8(buffer) → boolean.
fn is_valid_utf8(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_buf] = cx.args::<1>()?;
    let (p, len) = a_buf.bytes(c"\"buffer\" must be a Uint8Array")?;
    // SAFETY: live typed array, read only.
    js_bool(env, utf8::is_valid_utf8(unsafe { slice::from_raw_parts(p, len) }))
}

/// utf8Stream(state, buffer, final) → new state, or -1 when invalid. A state that is not a u32
/// integer is an invalid state (-1), like any other impossible carry.
fn utf8_stream(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_state, a_buf, a_fin] = cx.args::<3>()?;
    let state = a_state.number(c"\"state\" must be a number")?;
    let (p, len) = a_buf.bytes(c"\"buffer\" must be a Uint8Array")?;
    let fin = a_fin.boolean(c"\"final\" must be a boolean")?;
    let state = if state.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&state) {
        state as u32
    } else {
        u32::MAX
    };
    // SAFETY: live typed array, read only.
    let r = utf8::utf8_stream(state, unsafe { slice::from_raw_parts(p, len) }, fin);
    js_f64(env, r.map_or(-1.0, f64::from))
}

/// parseFrames(buf, params, state, out) → number of complete frames, where `params` is a
/// Float64Array [start, end, flags, maxFrameSize, maxMessageSize, maxFragments]. One typed array
/// instead of six numbers: each N-API argument read costs ~10 ns, and this is the per-chunk call.
fn parse_frames(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_buf, a_params, a_state, a_out] = cx.args::<4>()?;
    let (b, b_len) = a_buf.bytes(c"\"buf\" must be a Uint8Array")?;
    let (p, p_len) = a_params.f64s(c"\"params\" must be a Float64Array")?;
    let (s, s_len) = a_state.f64s(c"\"state\" must be a Float64Array")?;
    let (o, o_len) = a_out.f64s(c"\"out\" must be a Float64Array")?;
    if p_len < PARAM_SLOTS {
        return Err(throw_range(env, c"\"params\" must have at least 6 elements"));
    }
    // SAFETY: `p` points at >= 6 live f64s; copied out before any `&mut` slice exists.
    let [start, end, flags, max_frame_size, max_message_size, max_fragments] =
        unsafe { core::ptr::read_unaligned(p.cast::<[f64; PARAM_SLOTS]>()) };
    let end = index(env, end, b_len, c"\"end\" is out of range")?;
    let start = index(env, start, end, c"\"start\" is out of range")?;
    let flags = index(env, flags, u32::MAX as usize, c"\"flags\" is out of range")? as u32;
    if s_len < STATE_SLOTS {
        return Err(throw_range(env, c"\"state\" must have at least 8 elements"));
    }
    if o_len < FRAME_STRIDE {
        return Err(throw_range(env, c"\"out\" must have at least 4 elements"));
    }
    let (sb, ob) = (s.cast::<u8>().cast_const(), o.cast::<u8>().cast_const());
    let (sl, ol) = (s_len * 8, o_len * 8);
    if overlaps(b, b_len, sb, sl) || overlaps(b, b_len, ob, ol) || overlaps(sb, sl, ob, ol) {
        return Err(throw_range(env, c"\"buf\", \"state\" and \"out\" must not share memory"));
    }
    let limits = ParseLimits { flags, max_frame_size, max_message_size, max_fragments };
    // SAFETY: three live, pairwise disjoint typed arrays, borrowed for this call only.
    let (buf, state, out) = unsafe {
        (
            slice::from_raw_parts_mut(b, b_len),
            slice::from_raw_parts_mut(s, s_len),
            slice::from_raw_parts_mut(o, o_len),
        )
    };
    js_f64(env, parse::parse_frames(buf, start, end, &limits, state, out) as f64)
}

/// encodeHeader(out, offset, bits, payloadLength, maskKey: u32 | -1) → header length.
fn encode_header(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_out, a_off, a_bits, a_len, a_key] = cx.args::<5>()?;
    let (o, o_len) = a_out.bytes(c"\"out\" must be a Uint8Array")?;
    let offset = a_off.number(c"\"offset\" must be a number")?;
    let bits = a_bits.number(c"\"bits\" must be a number")?;
    let len = a_len.number(c"\"payloadLength\" must be a number")?;
    let key = a_key.number(c"\"maskKey\" must be a number")?;
    let offset = index(env, offset, o_len, c"\"offset\" is out of range")?;
    let bits = index(env, bits, 255, c"\"bits\" is out of range")? as u8;
    if !(len.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&len)) {
        return Err(throw_range(env, c"\"payloadLength\" must be an integer in 0..2^53-1"));
    }
    let key = if key == -1.0 {
        None
    } else {
        Some(
            (index(env, key, u32::MAX as usize, c"\"maskKey\" is out of range")? as u32)
                .to_be_bytes(),
        )
    };
    // SAFETY: offset <= o_len; the only reference to this live typed array.
    let dst = unsafe { slice::from_raw_parts_mut(o.add(offset), o_len - offset) };
    match header::encode_header(dst, bits, len as u64, key) {
        Some(n) => js_f64(env, n as f64),
        None => Err(throw_range(env, c"The output buffer is too small for the frame header")),
    }
}

/// encodeMessage(payload, opcode, rsv1, threshold, maskKeys | null, out, offset) → bytes written.
fn encode_message(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_pl, a_op, a_rsv1, a_thr, a_keys, a_out, a_off] = cx.args::<7>()?;
    let (p, p_len) = a_pl.bytes(c"\"payload\" must be a Uint8Array")?;
    let opcode = a_op.number(c"\"opcode\" must be a number")?;
    let rsv1 = a_rsv1.boolean(c"\"rsv1\" must be a boolean")?;
    let threshold = a_thr.number(c"\"threshold\" must be a number")?;
    let keys = if a_keys.is_nullish() {
        None
    } else {
        Some(a_keys.bytes(c"\"maskKeys\" must be a Uint8Array or null")?)
    };
    let (o, o_len) = a_out.bytes(c"\"out\" must be a Uint8Array")?;
    let offset = a_off.number(c"\"offset\" must be a number")?;
    let opcode = index(env, opcode, 15, c"\"opcode\" is out of range")? as u8;
    if !(threshold.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&threshold)) {
        return Err(throw_range(env, c"\"threshold\" must be an integer in 0..2^53-1"));
    }
    let offset = index(env, offset, o_len, c"\"offset\" is out of range")?;
    // SAFETY: offset <= o_len.
    let (d, d_len) = (unsafe { o.add(offset) }, o_len - offset);
    if overlaps(p, p_len, d, d_len) || keys.is_some_and(|(k, k_len)| overlaps(k, k_len, d, d_len)) {
        return Err(throw_range(
            env,
            c"\"out\" must not share memory with \"payload\" or \"maskKeys\"",
        ));
    }
    // SAFETY: live typed arrays; `out` is disjoint from the two read-only ones.
    let (payload, keys, dst) = unsafe {
        (
            slice::from_raw_parts(p, p_len),
            keys.map(|(k, k_len)| slice::from_raw_parts(k, k_len)),
            slice::from_raw_parts_mut(d, d_len),
        )
    };
    match fragment::encode_message(payload, opcode, rsv1, threshold as u64, keys, dst) {
        Ok(n) => js_f64(env, n as f64),
        Err(fragment::EncodeError::OutputTooSmall) => {
            Err(throw_range(env, c"The output buffer is too small for the encoded message"))
        }
        Err(fragment::EncodeError::NotEnoughMaskKeys) => {
            Err(throw_range(env, c"\"maskKeys\" must hold 4 bytes per frame"))
        }
    }
}

/// closePayloadStatus(payload) → close code (1005 when empty), or minus the ErrorCode.
fn close_payload_status(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_pl] = cx.args::<1>()?;
    let (p, len) = a_pl.bytes(c"\"payload\" must be a Uint8Array")?;
    // SAFETY: live typed array, read only.
    let status = match close::decode_close_payload(unsafe { slice::from_raw_parts(p, len) }) {
        Ok((code, _)) => f64::from(code),
        Err(e) => -f64::from(e as u8),
    };
    js_f64(env, status)
}

thread_local! {
    /// Decode scratch, one pair per JS thread (main and each worker): grown to the largest message
    /// seen up to `SCRATCH_KEEP` and kept, so steady traffic neither allocates nor zeroes.
    static SCRATCH: RefCell<(Vec<u8>, Vec<u16>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Scratch bytes kept between calls (per vector); a larger message gets it freed after its call.
const SCRATCH_KEEP: usize = 1 << 20;

/// Run `f` with this thread's transcoding scratch (Latin-1, UTF-16), trimmed afterwards to `SCRATCH_KEEP`.
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>, &mut Vec<u16>) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut scratch = cell.borrow_mut();
        let (latin1, utf16) = &mut *scratch;
        let r = f(latin1, utf16);
        if latin1.len() > SCRATCH_KEEP {
            *latin1 = Vec::new();
        }
        if utf16.len() > SCRATCH_KEEP {
            *utf16 = Vec::new();
        }
        r
    })
}

/// The JS string of `decoded` (`Ascii`: the code units are `ascii`), or a RangeError with Node's code
/// ERR_STRING_TOO_LONG when V8 refuses it (above its maximum string length).
pub(crate) fn js_string(
    env: napi_env,
    decoded: text::Decoded,
    ascii: &[u8],
    latin1: &[u8],
    utf16: &[u16],
) -> JsResult {
    let mut v = core::ptr::null_mut();
    let status = match decoded {
        // SAFETY: valid env, pointers to `n` initialised units (slice lengths fit isize), out-param.
        text::Decoded::Ascii => unsafe {
            sys::napi_create_string_latin1(env, ascii.as_ptr().cast(), ascii.len() as isize, &mut v)
        },
        // SAFETY: as above (`n` ≤ the slice's length, written by the transcoder).
        text::Decoded::Latin1(n) => unsafe {
            sys::napi_create_string_latin1(env, latin1[..n].as_ptr().cast(), n as isize, &mut v)
        },
        // SAFETY: as above.
        text::Decoded::Utf16(n) => unsafe {
            sys::napi_create_string_utf16(env, utf16[..n].as_ptr(), n as isize, &mut v)
        },
    };
    if status == sys::Status::napi_ok {
        Ok(v)
    } else {
        // Node's own code for this failure (Buffer#toString throws ERR_STRING_TOO_LONG), so that callers
        // can tell it from any other error whichever backend runs.
        // SAFETY: valid env; static NUL-terminated strings.
        unsafe {
            sys::napi_throw_range_error(
                env,
                c"ERR_STRING_TOO_LONG".as_ptr(),
                c"Cannot create a string longer than V8's maximum length".as_ptr(),
            )
        };
        Err(Thrown)
    }
}

/// decodeUtf8(buffer) → the string of valid UTF-8 `buffer` (one-byte when every character is ≤ U+00FF,
/// as V8 makes it), or undefined when `buffer` is not valid UTF-8: validated while transcoding, in one
/// simdutf pass (`text::decode`). A RangeError (code ERR_STRING_TOO_LONG) when the string would exceed
/// V8's maximum length.
fn decode_utf8(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_buf] = cx.args::<1>()?;
    let (p, len) = a_buf.bytes(c"\"buffer\" must be a Uint8Array")?;
    // SAFETY: live typed array, read only; not touched by the string creation below.
    let src = unsafe { slice::from_raw_parts(p, len) };
    with_scratch(|latin1, utf16| match text::decode(src, latin1, utf16) {
        None => js_undefined(),
        Some(d) => js_string(env, d, src, latin1, utf16),
    })
}

callback!(mask_cb => mask);
callback!(decode_utf8_cb => decode_utf8);
callback!(mask_frame_cb => mask_frame);
callback!(unmask_cb => unmask);
callback!(is_valid_utf8_cb => is_valid_utf8);
callback!(utf8_stream_cb => utf8_stream);
callback!(parse_frames_cb => parse_frames);
callback!(encode_header_cb => encode_header);
callback!(encode_message_cb => encode_message);
callback!(close_payload_status_cb => close_payload_status);

/// Add the hot exports to `exports`.
///
/// # Safety
/// Module-init env and exports object.
pub unsafe fn register(env: napi_env, exports: napi_value) -> napi::Result<()> {
    // SAFETY: the caller's module-init env and exports object; static names and callbacks.
    unsafe {
        export(env, exports, c"mask", Some(mask_cb))?;
        export(env, exports, c"maskFrame", Some(mask_frame_cb))?;
        export(env, exports, c"unmask", Some(unmask_cb))?;
        export(env, exports, c"isValidUtf8", Some(is_valid_utf8_cb))?;
        export(env, exports, c"utf8Stream", Some(utf8_stream_cb))?;
        export(env, exports, c"decodeUtf8", Some(decode_utf8_cb))?;
        export(env, exports, c"parseFrames", Some(parse_frames_cb))?;
        export(env, exports, c"encodeHeader", Some(encode_header_cb))?;
        export(env, exports, c"encodeMessage", Some(encode_message_cb))?;
        export(env, exports, c"closePayloadStatus", Some(close_payload_status_cb))?;
    }
    Ok(())
}
