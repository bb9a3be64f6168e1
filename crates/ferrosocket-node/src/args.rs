//! Argument checks for the `#[napi]` exports: a bad value throws a RangeError before any work.

use napi::{Env, Error, Result, Status};

/// Throw a JS `RangeError` and return the error that tells napi-rs an exception is pending.
pub fn range_error(env: &Env, msg: &str) -> Error {
    let _ = env.throw_range_error(msg, Some("ERR_OUT_OF_RANGE"));
    Error::new(Status::PendingException, msg.to_owned())
}

/// Largest integer a JS number holds exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// An integer in `0..=max`, else a RangeError naming `what`.
pub fn index(env: &Env, v: f64, max: f64, what: &str) -> Result<u64> {
    if v.fract() == 0.0 && (0.0..=max).contains(&v) {
        Ok(v as u64)
    } else {
        Err(range_error(
            env,
            &format!("The value of \"{what}\" is out of range. It must be an integer >= 0 and <= {max}. Received {v}"),
        ))
    }
}
