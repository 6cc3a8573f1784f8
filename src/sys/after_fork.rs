//! What a forked child does first, before anything else, whether it goes on to `execve`
//! (a cluster worker) or runs Rust code (a process-pool worker). Everything here is
//! async-signal-safe: the parent is multi-threaded, so the child may call nothing that takes
//! a lock another thread could have held at the fork.

/// The highest signal number on Linux (`_NSIG - 1`; glibc's `SIGRTMAX`).
const LAST_SIGNAL: i32 = 64;

/// Gives every signal its default action and unblocks them all.
///
/// Every signal from 1 to 64, not only the classic 1..31 that libuv's `uv_spawn` resets: a
/// handler does not survive `execve`, but an ignored signal and the signal mask do, and the
/// parent (V8, libuv, an addon, the user's code) may have ignored or blocked real-time signals
/// (34..64) too. A child that runs Rust code without exec keeps the parent's *handlers* as
/// well, of every signal; one of libuv's would write to the parent's signal pipe. 32 and 33
/// are glibc's own (thread cancellation, setxid), which its `sigaction` refuses to change:
/// those calls fail harmlessly. SIGKILL and SIGSTOP cannot be changed and are skipped.
///
/// # Safety
/// Only in a child right after `fork` (it changes the whole process's signal handling).
pub(crate) unsafe fn reset_signals() {
    // SAFETY (this block): async-signal-safe calls on valid pointers to this frame's data; an
    // all-zero sigaction is SIG_DFL with an empty mask and no flags.
    unsafe {
        let default: libc::sigaction = std::mem::zeroed();
        for sig in 1..=LAST_SIGNAL {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::sigaction(sig, &default, std::ptr::null_mut());
            }
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    }
}

/// Asks for SIGKILL when the thread that forked this process exits, and returns false when
/// the parent `parent` is already gone (it died between the fork and this call: the child
/// is an orphan and must end).
///
/// # Safety
/// Only in a child right after `fork`.
pub(crate) unsafe fn die_with_parent(parent: libc::pid_t) -> bool {
    // SAFETY: prctl and getppid are async-signal-safe and take no pointers.
    unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        );
        libc::getppid() == parent
    }
}
