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
