//! The one place that turns library failures into JavaScript errors with Node-style codes.

use napi::{sys, Env, Error, Status};

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
