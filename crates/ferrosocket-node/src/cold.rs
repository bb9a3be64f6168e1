//! The exports off the hot path: ABI check, length arithmetic, close codes and close payloads.
//! Raw callbacks like `hot.rs`, so every export reports bad arguments the same way
//! (TypeError/RangeError with an `ERR_…` code).

use crate::raw::{callback, export, js_bool, js_f64, throw_range, throw_type, Call, JsResult};
use core::ptr;
use ferrosocket_core::{close, fragment};
use napi::sys::{self, napi_callback_info, napi_env, napi_value};

/// Largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// Version of the addon's calling convention and export list; the TS loader refuses a mismatch. Raise it with
/// every change of the exports (`ts/codec/loader.ts` says what each version added).
const ABI_VERSION: f64 = 3.0;

fn is_safe_index(v: f64) -> bool {
    v.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&v)
}

/// Whether `code` is an integer close code that may be sent (§7.4).
fn valid_close_code(code: f64) -> bool {
    code.fract() == 0.0
        && (0.0..=f64::from(u32::MAX)).contains(&code)
        && close::is_valid_close_code(code as u32)
}

/// abiVersion() → `ABI_VERSION`.
fn abi_version(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    js_f64(env, ABI_VERSION)
}

/// encodedLength(payloadLength, threshold, masked) → bytes of all headers + payloads.
fn encoded_length(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_len, a_thr, a_masked] = cx.args::<3>()?;
    let len = a_len.number(c"\"payloadLength\" must be a number")?;
    let threshold = a_thr.number(c"\"threshold\" must be a number")?;
    let masked = a_masked.boolean(c"\"masked\" must be a boolean")?;
    if !is_safe_index(len) {
        return Err(throw_range(env, c"\"payloadLength\" must be an integer in 0..2^53-1"));
    }
    if !is_safe_index(threshold) {
        return Err(throw_range(env, c"\"threshold\" must be an integer in 0..2^53-1"));
    }
    js_f64(env, fragment::encoded_length(len as u64, threshold as u64, masked) as f64)
}

/// isValidCloseCode(code) → boolean (false for anything but an allowed integer code).
fn is_valid_close_code(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_code] = cx.args::<1>()?;
    let code = a_code.number(c"\"code\" must be a number")?;
    js_bool(env, valid_close_code(code))
}

/// encodeClosePayload(code, reason) → Buffer of the 2-byte code + UTF-8 reason. RangeError when
/// the code may not be sent or the payload would exceed 125 bytes (§5.5).
fn encode_close_payload(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_code, a_reason] = cx.args::<2>()?;
    let code = a_code.number(c"\"code\" must be a number")?;
    // UTF-8 length first (lone surrogates become U+FFFD, as in Buffer.from(string)).
    let mut len = 0usize;
    // SAFETY: a null buffer asks for the length only.
    let status = unsafe {
        sys::napi_get_value_string_utf8(env, a_reason.raw(), ptr::null_mut(), 0, &mut len)
    };
    if status != sys::Status::napi_ok {
        return Err(throw_type(env, c"\"reason\" must be a string"));
    }
    if !valid_close_code(code) {
        return Err(throw_range(env, c"Invalid close code"));
    }
    if 2 + len > close::MAX_CONTROL_PAYLOAD {
        return Err(throw_range(
            env,
            c"The close reason is too long (the payload must be at most 125 bytes)",
        ));
    }
    // Stack buffer: at most 123 reason bytes + the NUL napi writes.
    let mut payload = [0u8; close::MAX_CONTROL_PAYLOAD + 1];
    payload[..2].copy_from_slice(&(code as u16).to_be_bytes());
    let mut written = 0usize;
    // SAFETY: `payload[2..]` has room for len + 1 bytes (len <= 123).
    unsafe {
        sys::napi_get_value_string_utf8(
            env,
            a_reason.raw(),
            payload[2..].as_mut_ptr().cast(),
            len + 1,
            &mut written,
        )
    };
    let mut result = ptr::null_mut();
    // SAFETY: copies 2 + written initialised bytes into a new Buffer.
    let status = unsafe {
        sys::napi_create_buffer_copy(
            env,
            2 + written,
            payload.as_ptr().cast(),
            ptr::null_mut(),
            &mut result,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(throw_range(env, c"Could not allocate the close payload"));
    }
    Ok(result)
}

callback!(abi_version_cb => abi_version);
callback!(encoded_length_cb => encoded_length);
callback!(is_valid_close_code_cb => is_valid_close_code);
callback!(encode_close_payload_cb => encode_close_payload);

/// Add the cold exports to `exports`.
///
/// # Safety
/// Module-init env and exports object.
pub unsafe fn register(env: napi_env, exports: napi_value) -> napi::Result<()> {
    // SAFETY: the caller's module-init env and exports object; static names and callbacks.
    unsafe {
        export(env, exports, c"abiVersion", Some(abi_version_cb))?;
        export(env, exports, c"encodedLength", Some(encoded_length_cb))?;
        export(env, exports, c"isValidCloseCode", Some(is_valid_close_code_cb))?;
        export(env, exports, c"encodeClosePayload", Some(encode_close_payload_cb))?;
    }
    Ok(())
}
