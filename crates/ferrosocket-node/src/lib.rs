//! N-API glue over `ferrosocket-core`: zero-copy slices in, plain numbers out.
//!
//! Every export is a raw N-API callback (`raw.rs` explains why: napi-rs 3's generated argument
//! glue costs ~60 ns per call, more than the work for typical frames). `#[napi(module_exports)]`
//! only hooks the registration into napi-rs's module init. Typed arrays are borrowed for the
//! duration of a synchronous call only; every index from JS is checked before a slice is formed
//! (RangeError); arrays that share memory are refused wherever a `&mut` slice is made; and no
//! panic unwinds into V8 (`catch_unwind` in every callback).

mod cold;
mod hot;
mod message;
mod raw;

use napi::{bindgen_prelude::Object, Env, JsValue, Result};
use napi_derive::napi;

/// Registers the exports: `hot.rs` (per chunk / per frame), `message.rs` (text messages in pieces), `cold.rs`.
#[napi(module_exports)]
pub fn init(exports: Object, env: Env) -> Result<()> {
    // SAFETY: module initialisation: a valid env and the module's exports object.
    unsafe {
        hot::register(env.raw(), exports.raw())?;
        message::register(env.raw(), exports.raw())?;
        cold::register(env.raw(), exports.raw())
    }
}
