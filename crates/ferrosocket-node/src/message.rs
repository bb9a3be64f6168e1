//! The text message accumulator (issue 16): a `ferrosocket_core::text_message::TextState` owned by a JS external
//! value, with the message's bytes in a Buffer that only this external references (`napi_ref`) — memory
//! JavaScript cannot reach, so that bytes validated once as they are appended are still valid when simdutf's
//! non-validating transcoders make the string from them. The Buffer itself is handed to JavaScript only after the
//! string is made (`textTakeBytes`, for `sendUTF` of the delivered text), and then forgotten here: the bytes are
//! copied once (socket chunk → Buffer), as before issue 16, and the garbage collector accounts for them as for any
//! Buffer.
//!
//! The external is type-tagged: an external made by another addon (or any other value) is refused with a
//! TypeError before its pointer is looked at, so no call from JavaScript can make this code read or write
//! through a pointer it did not create. The Buffer is let go as soon as the receiver drops the message
//! (`textReset`), or by the finalizer when the external is collected.

use crate::hot::{js_string, with_scratch};
use crate::raw::{
    callback, export, js_f64, js_undefined, throw_range, throw_type, Call, JsResult, Thrown,
};
use core::{ffi::c_void, ptr, slice};
use ferrosocket_core::mask::mask;
use ferrosocket_core::text_message::{grown_capacity, Next, TextState};
use napi::sys::{self, napi_callback_info, napi_env, napi_value};

/// Tag of the externals made by `textCreate` (random; only this addon uses it).
static TAG: sys::napi_type_tag =
    sys::napi_type_tag { lower: 0x6a1f_93c4_0d2e_7b58, upper: 0xc3e8_5a07_f19b_2d64 };

/// Bytes a message keeps allocated between messages (a larger Buffer is let go after each message).
const KEEP: usize = 1024;

/// What an external owns: the validation state and the Buffer holding the bytes, which only this struct
/// references until `textTakeBytes` hands it out (and forgets it).
struct Held {
    st: TextState,
    /// Bytes of the message so far (`data[..len]`, each validated by `st.check` once written).
    len: usize,
    /// Length of the Buffer.
    cap: usize,
    /// The Buffer's bytes (stable while `buf` holds it; V8 never moves an ArrayBuffer's backing store).
    data: *mut u8,
    /// Strong reference to the Buffer, or null when there is none.
    buf: sys::napi_ref,
}

impl Held {
    /// Forget the message: the Buffer is let go when larger than `keep` bytes (or always with `keep` 0).
    fn clear(&mut self, env: napi_env, keep: usize) {
        if !self.buf.is_null() && (self.cap > keep || keep == 0) {
            // SAFETY: valid env; a reference this struct created and still owns.
            unsafe { sys::napi_delete_reference(env, self.buf) };
            self.buf = ptr::null_mut();
            self.data = ptr::null_mut();
            self.cap = 0;
        }
        self.len = 0;
        self.st = TextState::new();
    }

    /// The message's bytes so far.
    fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `data` is valid for `cap` ≥ `len` bytes while `buf` holds the Buffer (len > 0 implies it does),
        // all written by `text_append`.
        unsafe { slice::from_raw_parts(self.data, self.len) }
    }
}

/// Finalizer of a `textCreate` external: lets the Buffer go and frees the state.
unsafe extern "C" fn finalize_held(env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Box<Held>` leaked by `text_create`, finalized exactly once by N-API.
    let mut held = unsafe { Box::from_raw(data.cast::<Held>()) };
    held.clear(env, 0);
}

/// The message behind argument `a`, or a TypeError when it is not one of our externals.
fn held<'a>(env: napi_env, a: napi_value) -> Result<&'a mut Held, Thrown> {
    let mut t = -1;
    let mut ok = false;
    // SAFETY: valid env/value of the running callback; out-params. The type is checked first: the tag check
    // converts its argument to an object, which throws for null/undefined.
    let tagged = unsafe {
        sys::napi_typeof(env, a, &mut t) == sys::Status::napi_ok
            && t == sys::ValueType::napi_external
            && sys::napi_check_object_type_tag(env, a, &TAG, &mut ok) == sys::Status::napi_ok
    };
    if !tagged || !ok {
        return Err(throw_type(
            env,
            c"The \"message\" argument must be a text message made by textCreate()",
        ));
    }
    let mut data = ptr::null_mut();
    // SAFETY: as above. Only `text_create` tags values with TAG, and only externals, so this succeeds.
    let s = unsafe { sys::napi_get_value_external(env, a, &mut data) };
    if s != sys::Status::napi_ok || data.is_null() {
        return Err(throw_type(
            env,
            c"The \"message\" argument must be a text message made by textCreate()",
        ));
    }
    // SAFETY: `data` is the live `Box<Held>` of this external (freed only by its finalizer, which cannot run while
    // the external is an argument of the running call). JS is single-threaded per env and none of these calls
    // re-enters JS, so this is the only reference for the duration of the call.
    Ok(unsafe { &mut *data.cast::<Held>() })
}

/// textCreate() → a new, empty text message (an external owning the state).
fn text_create(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let held =
        Held { st: TextState::new(), len: 0, cap: 0, data: ptr::null_mut(), buf: ptr::null_mut() };
    let data = Box::into_raw(Box::new(held));
    let mut v = ptr::null_mut();
    // SAFETY: valid env; `data` is a leaked box freed by `finalize_held` only.
    let s = unsafe {
        sys::napi_create_external(env, data.cast(), Some(finalize_held), ptr::null_mut(), &mut v)
    };
    if s != sys::Status::napi_ok {
        // SAFETY: not handed to N-API: still ours.
        drop(unsafe { Box::from_raw(data) });
        return Err(throw_range(env, c"Could not create the text message"));
    }
    // SAFETY: valid env and a fresh external.
    if unsafe { sys::napi_type_tag_object(env, v, &TAG) } != sys::Status::napi_ok {
        // The external owns `data` now; its finalizer frees it.
        return Err(throw_range(env, c"Could not tag the text message"));
    }
    Ok(v)
}

/// Make room for `n` more bytes: a new Buffer of `grown_capacity`, the bytes so far copied over, the old one let go.
fn grow(env: napi_env, held: &mut Held, n: usize, next: Next) -> Result<(), Thrown> {
    let target = grown_capacity(held.len, held.cap, n, next);
    let mut data = ptr::null_mut();
    let mut value = ptr::null_mut();
    // SAFETY: valid env; out-params.
    let s = unsafe { sys::napi_create_buffer(env, target, &mut data, &mut value) };
    if s != sys::Status::napi_ok || (data.is_null() && target > 0) {
        return Err(throw_range(env, c"Could not allocate the text message's buffer"));
    }
    let data = data.cast::<u8>();
    if held.len > 0 {
        // SAFETY: the old Buffer holds `len` bytes (alive: `buf` still references it); the new one has room for
        // `target` ≥ len; two different Buffers.
        unsafe { ptr::copy_nonoverlapping(held.data, data, held.len) };
    }
    let mut r = ptr::null_mut();
    // SAFETY: valid env; a fresh Buffer.
    if unsafe { sys::napi_create_reference(env, value, 1, &mut r) } != sys::Status::napi_ok {
        return Err(throw_range(env, c"Could not allocate the text message's buffer"));
    }
    if !held.buf.is_null() {
        // SAFETY: valid env; our own reference.
        unsafe { sys::napi_delete_reference(env, held.buf) };
    }
    held.buf = r;
    held.data = data;
    held.cap = target;
    Ok(())
}

/// textAppend(message, source, key, next) → total bytes, or -1 when the message is not valid UTF-8 (from the
/// first byte that can never become valid; the message then stays failed until `textReset`). `key`: the frame's
/// masking key rotated to this piece's offset (big-endian u32), or -1 when unmasked. `next`: -1 when this piece
/// ends the message, 0 when it ends a frame of a message that continues, else the bytes of the frame still to come
/// (the capacity grows towards them, not past them).
fn text_append(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_msg, a_src, a_key, a_next] = cx.args::<4>()?;
    let held = held(env, a_msg.raw())?;
    let (p, n) = a_src.bytes(c"\"source\" must be a Uint8Array")?;
    let key = a_key.number(c"\"key\" must be a number")?;
    let next = a_next.number(c"\"next\" must be a number")?;
    let key = if key == -1.0 {
        None
    } else if key.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&key) {
        Some((key as u32).to_be_bytes())
    } else {
        return Err(throw_range(env, c"\"key\" is out of range"));
    };
    let next = if next == -1.0 {
        Next::Final
    } else if next == 0.0 {
        Next::Unknown
    } else if next.fract() == 0.0 && next > 0.0 && next <= 9_007_199_254_740_991.0 {
        Next::Frame(next as usize)
    } else {
        return Err(throw_range(env, c"\"next\" is out of range"));
    };
    if !held.st.admit() {
        return js_f64(env, -1.0);
    }
    let need = held.len + n;
    if need > held.cap {
        grow(env, held, n, next)?;
    }
    let piece: &mut [u8] = if n == 0 {
        &mut []
    } else {
        // SAFETY: our Buffer has room for `n` more bytes after `len` (Node's memory: any byte pattern is a valid
        // `u8`, and these are only written here before being read); it is referenced by nothing in JavaScript, so
        // it cannot overlap `source`, a live typed array of `n` bytes.
        let (dst, src) = unsafe {
            (
                slice::from_raw_parts_mut(held.data.add(held.len), n),
                slice::from_raw_parts(p.cast_const(), n),
            )
        };
        // One pass: unmasked (or copied) straight from the socket chunk into the message.
        match key {
            Some(key) => mask(src, key, dst),
            None => dst.copy_from_slice(src),
        }
        dst
    };
    // Validated in our Buffer, after the copy: the source could change under a check made on it (shared memory).
    if held.st.check(piece, next).is_err() {
        return js_f64(env, -1.0);
    }
    held.len = need;
    js_f64(env, need as f64)
}

/// textFinish(message, keepBytes) → the string of the complete message, made from its validated bytes without
/// validating again. With `keepBytes` the bytes stay for `textTakeBytes`; otherwise the message is emptied. An
/// Error (ERR_INVALID_STATE) before the final piece was appended; a RangeError (ERR_STRING_TOO_LONG) above V8's
/// maximum string length (the message is emptied then too).
fn text_finish(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_msg, a_keep] = cx.args::<2>()?;
    let held = held(env, a_msg.raw())?;
    let keep = a_keep.boolean(c"\"keepBytes\" must be a boolean")?;
    if !held.st.is_complete() {
        // SAFETY: valid env; static strings.
        unsafe {
            sys::napi_throw_error(
                env,
                c"ERR_INVALID_STATE".as_ptr(),
                c"The text message is not complete (or not valid)".as_ptr(),
            )
        };
        return Err(Thrown);
    }
    let r = with_scratch(|latin1, utf16| {
        let bytes = held.bytes();
        // SAFETY: `bytes` are exactly the pieces `text_append` checked, in order: they live in a Buffer that only
        // `held.buf` references (JavaScript gets it from `textTakeBytes` only, which forgets it), so nothing
        // changed them since.
        match unsafe { held.st.finish(bytes, latin1, utf16) } {
            Some(d) => js_string(env, d, bytes, latin1, utf16),
            None => js_undefined(),
        }
    });
    if !keep || r.is_err() {
        held.clear(env, KEEP);
    }
    r
}

/// textTakeBytes(message) → the message's bytes: the Buffer they were appended into (when they fill it) or a
/// Uint8Array view of its first bytes — handed over, not copied; the message forgets it and is empty afterwards.
fn text_take_bytes(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_msg] = cx.args::<1>()?;
    let held = held(env, a_msg.raw())?;
    let mut v = ptr::null_mut();
    if held.len == 0 {
        held.clear(env, 0);
        // SAFETY: valid env; a zero-length Buffer.
        unsafe { sys::napi_create_buffer(env, 0, ptr::null_mut(), &mut v) };
        return Ok(v);
    }
    let mut buffer = ptr::null_mut();
    // SAFETY: valid env; our live reference (len > 0 implies one).
    unsafe { sys::napi_get_reference_value(env, held.buf, &mut buffer) };
    if held.len == held.cap {
        v = buffer;
    } else {
        let (mut ab, mut offset, mut ty, mut count) = (ptr::null_mut(), 0usize, -1, 0usize);
        // SAFETY: valid env; `buffer` is the Buffer (a Uint8Array) we created; out-params.
        unsafe {
            sys::napi_get_typedarray_info(
                env,
                buffer,
                &mut ty,
                &mut count,
                ptr::null_mut(),
                &mut ab,
                &mut offset,
            );
            sys::napi_create_typedarray(
                env,
                sys::TypedarrayType::uint8_array,
                held.len,
                ab,
                offset,
                &mut v,
            )
        };
    }
    // Forget it before anything else: from now on JavaScript may write to it.
    held.clear(env, 0);
    Ok(v)
}

/// textReset(message): forget the message in progress and free its memory.
fn text_reset(cx: &Call<'_>) -> JsResult {
    let env = cx.env();
    let [a_msg] = cx.args::<1>()?;
    held(env, a_msg.raw())?.clear(env, 0);
    js_undefined()
}

callback!(text_create_cb => text_create);
callback!(text_append_cb => text_append);
callback!(text_finish_cb => text_finish);
callback!(text_take_bytes_cb => text_take_bytes);
callback!(text_reset_cb => text_reset);

/// Add the text message exports to `exports`.
///
/// # Safety
/// Module-init env and exports object.
pub unsafe fn register(env: napi_env, exports: napi_value) -> napi::Result<()> {
    // SAFETY: the caller's module-init env and exports object; static names and callbacks.
    unsafe {
        export(env, exports, c"textCreate", Some(text_create_cb))?;
        export(env, exports, c"textAppend", Some(text_append_cb))?;
        export(env, exports, c"textFinish", Some(text_finish_cb))?;
        export(env, exports, c"textTakeBytes", Some(text_take_bytes_cb))?;
        export(env, exports, c"textReset", Some(text_reset_cb))?;
    }
    Ok(())
}
