//! Raw N-API plumbing for the hot exports.
//!
//! napi-rs's generated glue allocates a borrow-tracking scope on every call with arguments
//! (~60 ns measured here: a one-`u32` function costs 79 ns against 21 ns for none), which is as
//! much as the whole call floor of a C addon. The per-chunk/per-frame functions therefore
//! register plain `extern "C"` callbacks that read their arguments with one N-API call each.
//! Typed arrays are borrowed only for the duration of the synchronous call and never stored.

use core::{ffi::CStr, ptr};
use napi::sys::{self, napi_callback_info, napi_env, napi_value};

/// An exception is pending in the env; return to JS.
pub struct Thrown;

pub type JsResult = Result<napi_value, Thrown>;

pub fn throw_range(env: napi_env, msg: &CStr) -> Thrown {
    // SAFETY: valid env for this callback; both strings are NUL-terminated.
    unsafe { sys::napi_throw_range_error(env, c"ERR_OUT_OF_RANGE".as_ptr(), msg.as_ptr()) };
    Thrown
}

pub fn throw_type(env: napi_env, msg: &CStr) -> Thrown {
    // SAFETY: as above.
    unsafe { sys::napi_throw_type_error(env, c"ERR_INVALID_ARG_TYPE".as_ptr(), msg.as_ptr()) };
    Thrown
}

/// The first `N` arguments (missing ones are `undefined`).
///
/// # Safety
/// `env`/`info` must be the ones N-API passed to the running callback.
unsafe fn args<const N: usize>(
    env: napi_env,
    info: napi_callback_info,
) -> Result<[napi_value; N], Thrown> {
    let mut argv = [ptr::null_mut(); N];
    let mut argc = N;
    // SAFETY: argv has room for argc values.
    let status = unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok {
        return Err(throw_type(env, c"Invalid call"));
    }
    Ok(argv)
}

/// A typed array of the given N-API type: (data, element count). `napi_get_typedarray_info` is the
/// strict check (a Float64Array passed as bytes is a TypeError). `data` is non-null and suitably
/// aligned even when the array is empty.
unsafe fn typed<T>(
    env: napi_env,
    v: napi_value,
    ty: i32,
    msg: &CStr,
) -> Result<(*mut T, usize), Thrown> {
    let mut t = -1;
    let mut len = 0usize;
    let mut data = ptr::null_mut();
    // SAFETY: out-params are valid; arraybuffer/byte_offset may be null.
    let status = unsafe {
        sys::napi_get_typedarray_info(
            env,
            v,
            &mut t,
            &mut len,
            &mut data,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok || t != ty {
        return Err(throw_type(env, msg));
    }
    let data = if len == 0 || data.is_null() {
        ptr::NonNull::<T>::dangling().as_ptr()
    } else {
        data.cast()
    };
    Ok((data, len))
}

/// A `Uint8Array` (a `Buffer` is one).
///
/// # Safety
/// Valid env/value of the running callback.
unsafe fn bytes(env: napi_env, v: napi_value, msg: &CStr) -> Result<(*mut u8, usize), Thrown> {
    // SAFETY: the caller's contract.
    unsafe { typed(env, v, sys::TypedarrayType::uint8_array, msg) }
}

/// A `Float64Array`, read through `napi_get_buffer_info` (any ArrayBufferView: `validate.ts`
/// checks the type in front of the addon). `napi_get_typedarray_info` costs ~20 ns more per
/// Float64Array in Node 20, measured on parseFrames' three of them. Any bit pattern is a valid
/// `f64`, so a view of another type cannot cause UB: the length is taken in whole `f64`s and a
/// misaligned view is refused.
///
/// # Safety
/// Valid env/value of the running callback.
unsafe fn f64s(env: napi_env, v: napi_value, msg: &CStr) -> Result<(*mut f64, usize), Thrown> {
    let mut data = ptr::null_mut();
    let mut len = 0usize;
    // SAFETY: valid out-params.
    let status = unsafe { sys::napi_get_buffer_info(env, v, &mut data, &mut len) };
    if status != sys::Status::napi_ok {
        return Err(throw_type(env, msg));
    }
    let n = len / 8;
    if n == 0 || data.is_null() {
        return Ok((ptr::NonNull::<f64>::dangling().as_ptr(), 0));
    }
    if !(data as usize).is_multiple_of(core::mem::align_of::<f64>()) {
        return Err(throw_type(env, msg));
    }
    Ok((data.cast(), n))
}

/// A number.
///
/// # Safety
/// Valid env/value of the running callback.
unsafe fn number(env: napi_env, v: napi_value, msg: &CStr) -> Result<f64, Thrown> {
    let mut n = 0.0;
    // SAFETY: valid out-param.
    if unsafe { sys::napi_get_value_double(env, v, &mut n) } != sys::Status::napi_ok {
        return Err(throw_type(env, msg));
    }
    Ok(n)
}

/// A number converted like JS `>>> 0` (masking keys).
///
/// # Safety
/// Valid env/value of the running callback.
unsafe fn uint32(env: napi_env, v: napi_value, msg: &CStr) -> Result<u32, Thrown> {
    let mut n = 0;
    // SAFETY: valid out-param.
    if unsafe { sys::napi_get_value_uint32(env, v, &mut n) } != sys::Status::napi_ok {
        return Err(throw_type(env, msg));
    }
    Ok(n)
}

/// A boolean.
///
/// # Safety
/// Valid env/value of the running callback.
unsafe fn boolean(env: napi_env, v: napi_value, msg: &CStr) -> Result<bool, Thrown> {
    let mut b = false;
    // SAFETY: valid out-param.
    if unsafe { sys::napi_get_value_bool(env, v, &mut b) } != sys::Status::napi_ok {
        return Err(throw_type(env, msg));
    }
    Ok(b)
}

/// Whether `v` is `null` or `undefined`.
///
/// # Safety
/// Valid env/value of the running callback.
unsafe fn is_nullish(env: napi_env, v: napi_value) -> bool {
    let mut t = -1;
    // SAFETY: valid out-param.
    let ok = unsafe { sys::napi_typeof(env, v, &mut t) } == sys::Status::napi_ok;
    ok && (t == sys::ValueType::napi_null || t == sys::ValueType::napi_undefined)
}

/// One running callback: the env and callback info N-API passed to it. Made only by `callback!` (the one
/// `unsafe` step), so everything read through it is safe: arguments come back as `Arg`s whose typed reads
/// check the JS type and report a TypeError themselves. `'a` ties them to the callback's stack frame.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    env: napi_env,
    info: napi_callback_info,
    _frame: core::marker::PhantomData<&'a ()>,
}

impl Call<'_> {
    /// # Safety
    /// `env`/`info` must be the ones N-API passed to the running callback, and the value must not outlive it.
    pub unsafe fn new(env: napi_env, info: napi_callback_info) -> Self {
        Self { env, info, _frame: core::marker::PhantomData }
    }

    /// The env of this call (for throwing and creating values).
    pub fn env(&self) -> napi_env {
        self.env
    }

    /// The first `N` arguments (missing ones are `undefined`).
    pub fn args<const N: usize>(&self) -> Result<[Arg<'_>; N], Thrown> {
        // SAFETY: env/info of the running callback (`Call::new`'s contract).
        let argv = unsafe { args::<N>(self.env, self.info) }?;
        Ok(argv.map(|v| Arg { env: self.env, v, _frame: core::marker::PhantomData }))
    }
}

/// One argument of a running callback (see `Call`).
#[derive(Clone, Copy)]
pub struct Arg<'a> {
    env: napi_env,
    v: napi_value,
    _frame: core::marker::PhantomData<&'a ()>,
}

// SAFETY (every method): `env`/`v` belong to the running callback (an `Arg` comes only from `Call::args`).
impl Arg<'_> {
    /// The raw value, for N-API calls made here (strings).
    pub fn raw(&self) -> napi_value {
        self.v
    }
    /// A `Uint8Array` (a `Buffer` is one): (data, length), data non-null even when empty.
    pub fn bytes(&self, msg: &CStr) -> Result<(*mut u8, usize), Thrown> {
        // SAFETY: see the impl.
        unsafe { bytes(self.env, self.v, msg) }
    }
    /// A `Float64Array` (see `f64s`): (data, element count).
    pub fn f64s(&self, msg: &CStr) -> Result<(*mut f64, usize), Thrown> {
        // SAFETY: see the impl.
        unsafe { f64s(self.env, self.v, msg) }
    }
    /// A number.
    pub fn number(&self, msg: &CStr) -> Result<f64, Thrown> {
        // SAFETY: see the impl.
        unsafe { number(self.env, self.v, msg) }
    }
    /// A number converted like JS `>>> 0`.
    pub fn uint32(&self, msg: &CStr) -> Result<u32, Thrown> {
        // SAFETY: see the impl.
        unsafe { uint32(self.env, self.v, msg) }
    }
    /// A boolean.
    pub fn boolean(&self, msg: &CStr) -> Result<bool, Thrown> {
        // SAFETY: see the impl.
        unsafe { boolean(self.env, self.v, msg) }
    }
    /// Whether it is `null` or `undefined`.
    pub fn is_nullish(&self) -> bool {
        // SAFETY: see the impl.
        unsafe { is_nullish(self.env, self.v) }
    }
}

pub fn js_f64(env: napi_env, n: f64) -> JsResult {
    let mut v = ptr::null_mut();
    // SAFETY: valid env and out-param.
    unsafe { sys::napi_create_double(env, n, &mut v) };
    Ok(v)
}

pub fn js_bool(env: napi_env, b: bool) -> JsResult {
    let mut v = ptr::null_mut();
    // SAFETY: valid env and out-param.
    unsafe { sys::napi_get_boolean(env, b, &mut v) };
    Ok(v)
}

/// `undefined`: a null return value from a callback is `undefined` in JS.
pub fn js_undefined() -> JsResult {
    Ok(ptr::null_mut())
}

/// An integer in `0..=max`, else a RangeError.
pub fn index(env: napi_env, v: f64, max: usize, msg: &CStr) -> Result<usize, Thrown> {
    if v.fract() == 0.0 && v >= 0.0 && v <= max as f64 {
        Ok(v as usize)
    } else {
        Err(throw_range(env, msg))
    }
}

/// Whether two byte ranges share memory.
pub fn overlaps(a: *const u8, a_len: usize, b: *const u8, b_len: usize) -> bool {
    let (a, b) = (a as usize, b as usize);
    a_len != 0 && b_len != 0 && a < b + b_len && b < a + a_len
}

/// Wrap a callback body: a Rust panic becomes a JS `Error` instead of unwinding into V8.
macro_rules! callback {
    ($name:ident => $body:path) => {
        unsafe extern "C" fn $name(env: napi_env, info: napi_callback_info) -> napi_value {
            // SAFETY: N-API passes the env/info of this very call; `cx` lives inside it.
            let cx = unsafe { $crate::raw::Call::new(env, info) };
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body(&cx)));
            match r {
                Ok(Ok(v)) => v,
                Ok(Err($crate::raw::Thrown)) => core::ptr::null_mut(),
                Err(_) => {
                    // SAFETY: valid env; static strings.
                    unsafe {
                        napi::sys::napi_throw_error(
                            env,
                            c"ERR_INTERNAL".as_ptr(),
                            c"ferrosocket: internal error".as_ptr(),
                        )
                    };
                    core::ptr::null_mut()
                }
            }
        }
    };
}
pub(crate) use callback;

/// Define `exports[name] = fn`.
///
/// # Safety
/// Valid env and exports object (module init).
pub unsafe fn export(
    env: napi_env,
    exports: napi_value,
    name: &CStr,
    cb: sys::napi_callback,
) -> napi::Result<()> {
    let mut f = ptr::null_mut();
    // SAFETY: valid env, NUL-terminated name, out-param.
    let s =
        unsafe { sys::napi_create_function(env, name.as_ptr(), -1, cb, ptr::null_mut(), &mut f) };
    if s != sys::Status::napi_ok {
        return Err(napi::Error::from_reason("napi_create_function failed"));
    }
    // SAFETY: as above.
    if unsafe { sys::napi_set_named_property(env, exports, name.as_ptr(), f) }
        != sys::Status::napi_ok
    {
        return Err(napi::Error::from_reason("napi_set_named_property failed"));
    }
    Ok(())
}
