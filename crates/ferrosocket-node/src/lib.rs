//! N-API glue over `ferrosocket-core`: zero-copy slices in, plain numbers out.
//!
//! The per-chunk/per-frame exports (`hot.rs`) are raw N-API callbacks, because napi-rs's generated
//! argument glue costs more than the work for small inputs; the cold ones below use `#[napi]`.
//! Typed arrays are borrowed for the duration of a synchronous call only, every index from JS is
//! checked before a slice is formed (RangeError), arrays that share memory are refused wherever a
//! `&mut` slice is made, and no panic unwinds into V8 (`catch_unwind` on every export).

mod args;
mod hot;
mod raw;

use args::{index, range_error, MAX_SAFE_INTEGER};
use ferrosocket_core::{close, fragment};
use napi::{
    bindgen_prelude::{Buffer, Object},
    Env, JsValue, Result,
};
use napi_derive::napi;

/// Registers the raw hot-path exports next to the `#[napi]` ones.
#[napi(module_exports)]
pub fn init(exports: Object, env: Env) -> Result<()> {
    // SAFETY: module initialisation: a valid env and the module's exports object.
    unsafe { hot::register(env.raw(), exports.raw()) }
}

/// Version of the addon's calling convention; the TS loader refuses a mismatch.
#[napi(catch_unwind)]
pub fn abi_version() -> u32 {
    1
}

/// Bytes of all headers + payloads of a message (see `encodedLength` in types.ts).
#[napi(catch_unwind)]
pub fn encoded_length(env: Env, payload_length: f64, threshold: f64, masked: bool) -> Result<f64> {
    let len = index(&env, payload_length, MAX_SAFE_INTEGER, "payloadLength")?;
    let threshold = index(&env, threshold, MAX_SAFE_INTEGER, "threshold")?;
    Ok(fragment::encoded_length(len, threshold, masked) as f64)
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
        Err(close::CloseEncodeError::InvalidCode) => {
            Err(range_error(&env, &format!("Invalid close code: {code}")))
        }
        Err(close::CloseEncodeError::TooLong) => Err(range_error(
            &env,
            "The close reason is too long (the payload must be at most 125 bytes)",
        )),
    }
}
