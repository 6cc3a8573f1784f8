//! The one place that turns library failures into JavaScript errors with Node-style codes, and
//! the boundary every `#[napi]` entry point goes through: [`guard`] turns a panic into a thrown
//! `ERR_NATIVE_PANIC` (napi-rs does not catch panics by default, and one unwinding out of an
//! `extern "C"` callback aborts the process), [`Arg`] turns an argument of the wrong JavaScript
//! type into `ERR_INVALID_ARG_TYPE`, and [`integer`] checks a number is a whole number in range
//! (napi's own `u32`/`i32` conversions would wrap -1, 2^32 + 5 and NaN into range silently).
//!
//! The JavaScript facade (`lib/`) validates every argument before native code runs; these are
//! the second line, for anyone who calls the addon's exports directly.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, Env, Error, Status, ValueType};

/// The JavaScript error class to throw.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ErrorKind {
    Error,
    Type,
    Range,
}

/// Throws a JavaScript error carrying `code` and returns the napi error that tells the
/// binding glue an exception is already pending.
pub(crate) fn throw(env: &Env, kind: ErrorKind, code: &str, message: &str) -> Error {
    let thrown = match kind {
        ErrorKind::Error => env.throw_error(message, Some(code)),
        ErrorKind::Type => env.throw_type_error(message, Some(code)),
        ErrorKind::Range => env.throw_range_error(message, Some(code)),
    };
    match thrown {
        Ok(()) => Error::new(Status::PendingException, message.to_owned()),
        Err(e) => e,
    }
}

/// Runs the body of a `#[napi]` entry point: a panic in it becomes a thrown `Error` with code
/// `ERR_NATIVE_PANIC` instead of unwinding into napi's `extern "C"` glue (which aborts). The
/// last line of defence: entry points check their arguments and return errors; a panic here
/// is a bug, reported as one.
pub(crate) fn guard<T>(env: &Env, body: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(payload) => Err(throw(
            env,
            ErrorKind::Error,
            "ERR_NATIVE_PANIC",
            &format!("native code panicked: {}", panic_message(payload)),
        )),
    }
}

/// The message a panic was raised with.
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a native kernel panicked".to_owned()
    }
}

/// An argument converted by napi-rs whose conversion failures (a string where a number is
/// due, a missing argument, an object without a required field...) are thrown as a
/// `TypeError` with code `ERR_INVALID_ARG_TYPE` rather than napi-rs's own status names.
#[derive(Debug)]
pub struct Arg<T>(pub T);

impl<T: FromNapiValue + TypeName> FromNapiValue for Arg<T> {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // An object is due and this is not one (undefined, say): refused here, before napi-rs
        // reads properties of it and V8 throws an uncoded TypeError.
        let mut kind = 0;
        // SAFETY: env and value come from the napi callback converting its arguments.
        let not_an_object = T::value_type() == ValueType::Object
            && (unsafe { sys::napi_typeof(env, value, &mut kind) } != sys::Status::napi_ok
                || kind != sys::ValueType::napi_object);
        let converted = if not_an_object {
            Err(Error::new(
                Status::ObjectExpected,
                "not an object".to_owned(),
            ))
        } else {
            // SAFETY: as above.
            unsafe { T::from_napi_value(env, value) }
        };
        match converted {
            Ok(v) => Ok(Arg(v)),
            // Already thrown by the inner conversion: leave it.
            Err(e) if e.status == Status::PendingException => Err(e),
            Err(e) => {
                // SAFETY: as above.
                let received = unsafe { type_of(env, value) };
                let message = format!(
                    "An argument must be {}. Received {received} ({})",
                    expected(T::type_name()),
                    e.reason
                );
                Err(throw(
                    &Env::from_raw(env),
                    ErrorKind::Type,
                    "ERR_INVALID_ARG_TYPE",
                    &message,
                ))
            }
        }
    }
}

impl<T: TypeName> TypeName for Arg<T> {
    fn type_name() -> &'static str {
        T::type_name()
    }
    fn value_type() -> ValueType {
        T::value_type()
    }
}

impl<T: TypeName> ValidateNapiValue for Arg<T> {}

/// What napi-rs's name for a Rust argument type means in JavaScript.
fn expected(type_name: &str) -> &str {
    match type_name {
        "f64" | "i32" | "u32" | "i64" => "of type number",
        "String" => "of type string",
        "bool" => "of type boolean",
        "TypedArray<f64>" => "a Float64Array",
        "Array<T>" => "an array",
        "TypedArray" => "a TypedArray",
        other => other,
    }
}

/// A JavaScript function argument: its handle, valid for the current call.
#[derive(Debug, Clone, Copy)]
pub struct Callback(sys::napi_value);

impl Callback {
    /// The function's handle (valid for the current call).
    pub(crate) fn raw(&self) -> sys::napi_value {
        self.0
    }
}

impl FromNapiValue for Callback {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut kind = 0;
        // SAFETY: env and value come from the napi callback converting its arguments.
        check(
            unsafe { sys::napi_typeof(env, value, &mut kind) },
            "reading a type",
        )?;
        if kind != sys::ValueType::napi_function {
            return Err(Error::new(
                Status::FunctionExpected,
                "expected a function".to_owned(),
            ));
        }
        Ok(Callback(value))
    }
}

impl TypeName for Callback {
    fn type_name() -> &'static str {
        "a function"
    }
    fn value_type() -> ValueType {
        ValueType::Function
    }
}

impl ValidateNapiValue for Callback {}

/// The JavaScript type of `value`, for messages (`'type string'`, `'null'`...).
///
/// # Safety
/// `env` and `value` must be valid for the current napi call.
unsafe fn type_of(env: sys::napi_env, value: sys::napi_value) -> &'static str {
    let mut kind = 0;
    // SAFETY: guaranteed by the caller.
    if unsafe { sys::napi_typeof(env, value, &mut kind) } != sys::Status::napi_ok {
        return "a value";
    }
    match kind {
        sys::ValueType::napi_undefined => "undefined",
        sys::ValueType::napi_null => "null",
        sys::ValueType::napi_boolean => "type boolean",
        sys::ValueType::napi_number => "type number",
        sys::ValueType::napi_string => "type string",
        sys::ValueType::napi_symbol => "type symbol",
        sys::ValueType::napi_object => "an object",
        sys::ValueType::napi_function => "a function",
        sys::ValueType::napi_external => "an external",
        sys::ValueType::napi_bigint => "type bigint",
        _ => "a value",
    }
}

/// `Number.MAX_SAFE_INTEGER`: the largest whole number a JavaScript number holds exactly.
pub(crate) const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// `value` as a whole number from `min` to `max`, or a `RangeError` with code
/// `ERR_OUT_OF_RANGE` naming the argument (NaN, fractions and infinities included).
pub(crate) fn integer(env: &Env, name: &str, value: f64, min: i64, max: i64) -> napi::Result<i64> {
    if value.fract() == 0.0 && value >= min as f64 && value <= max as f64 {
        return Ok(value as i64);
    }
    Err(throw(
        env,
        ErrorKind::Range,
        "ERR_OUT_OF_RANGE",
        &format!(
            "The value of \"{name}\" is out of range. It must be an integer >= {min} && <= {max}. Received {value}"
        ),
    ))
}

/// Maps a raw napi status to a `Result`.
pub(crate) fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(
            Status::GenericFailure,
            format!("{what} failed (napi status {status})"),
        ))
    }
}

/// Calls `callback(...args)` with the global object as `this` (the drains of the threadsafe
/// functions hand their batches to JavaScript this way); `what` names the call in errors.
///
/// # Safety
/// Must run on the JavaScript thread of `env`, inside a napi callback; `callback` and `args`
/// must be values of that env, and `callback` a function.
pub(crate) unsafe fn call_global(
    env: sys::napi_env,
    callback: sys::napi_value,
    args: &[sys::napi_value],
    what: &str,
) -> napi::Result<()> {
    let mut global = std::ptr::null_mut();
    // SAFETY (this block): the env is live for this callback (caller) and every handle passed
    // belongs to it; `args` outlives the call.
    unsafe {
        check(
            sys::napi_get_global(env, &mut global),
            "reading the global object",
        )?;
        let mut result = std::ptr::null_mut();
        check(
            sys::napi_call_function(
                env,
                global,
                callback,
                args.len(),
                args.as_ptr(),
                &mut result,
            ),
            what,
        )
    }
}

/// Test builds only: panics inside [`guard`], so the tests can check a panic in an entry point
/// becomes a thrown `ERR_NATIVE_PANIC` and the process lives on.
#[cfg(feature = "test-kernels")]
#[cfg_attr(test, allow(dead_code))] // registered with napi outside `cargo test` only
#[napi_derive::napi(js_name = "__panicInEntryPoint")]
pub(crate) fn panic_in_entry_point(env: Env) -> napi::Result<()> {
    guard(&env, || panic!("deliberate panic in an entry point"))
}
