//! Forking one child: its socketpair, its control page, the fork itself and its pidfd.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};

use nix::errno::Errno;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{ForkResult, Pid};

use crate::shm::segment;
use crate::sys::{pidfd, SysError};

use super::child::{self, Setup};
use super::mailbox::{Doorbell, Mailbox};
use super::protocol::PartSpec;
use super::release;

/// What a parent and one child tell each other without a message, in a page both map
/// (`MAP_SHARED`, made before the fork). All zero (cancel off, nothing started) is valid.
#[repr(C)]
#[derive(Debug)]
pub(super) struct Control {
    /// Raised by the parent to stop the part the child runs; the child's kernel polls it (at
    /// least every ~1 ms of work).
    cancel: AtomicBool,
    /// The sequence number of the last part the child started (0: none; sequence numbers start
    /// at 1). The child writes it before the kernel touches any memory, and it survives the
    /// child: after reaping a child, the parent reads it to tell a part the child never read
    /// (nothing of it was done: it may run on another child) from one it started (its writes
    /// may be half done: its task fails). See `README.md` here.
    started: AtomicU64,
    /// Parts in, results out (persistent children).
    pub(super) mailbox: Mailbox,
}

impl Control {
    pub(super) fn cancel(&self) -> &AtomicBool {
        &self.cancel
    }

    /// In the child, on taking a part: records that it has started, before anything of it is
    /// done. The store is sequentially consistent and fenced so that neither the compiler nor
    /// the CPU moves a write of the kernel before it; every store a killed child executed is
    /// in memory by the time its parent's `waitpid` returns.
    pub(super) fn start(&self, seq: u64) {
        self.started.store(seq, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// In the parent, once the child has been reaped: the sequence number of the last part
    /// it started (0: none).
    pub(super) fn last_started(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }
}

/// A page (or a few) of memory shared with the children forked after it was made, holding a
/// `T` that is valid all zero and accessed only through atomics.
#[derive(Debug)]
pub(super) struct SharedPage<T> {
    page: NonNull<T>,
}

// SAFETY: the page is a MAP_SHARED mapping owned by this value, accessed only through the
// atomics of the `T` at its start.
unsafe impl<T> Send for SharedPage<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SharedPage<T> {}

const PAGE: usize = 4096;

impl<T> SharedPage<T> {
    const LEN: usize = std::mem::size_of::<T>().next_multiple_of(PAGE);

    /// # Safety
    /// All-zero bytes must be a valid `T`, and `T` must be made of atomics only.
    pub(super) unsafe fn new() -> Result<Self, Errno> {
        // SAFETY: a fresh shared anonymous mapping, zero-filled (a valid `T`, by the caller's
        // promise); page-aligned, so aligned for `T` (whose alignment is at most 8).
        let page = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                Self::LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if page == libc::MAP_FAILED {
            return Err(Errno::last());
        }
        let page = NonNull::new(page.cast::<T>()).ok_or(Errno::EINVAL)?;
        Ok(Self { page })
    }

    pub(super) fn get(&self) -> &T {
        // SAFETY: the page is mapped, aligned and initialised (a valid `T`) while `self`
        // lives; every access is atomic.
        unsafe { self.page.as_ref() }
    }
}

impl<T> Drop for SharedPage<T> {
    fn drop(&mut self) {
        // SAFETY: our own mapping. A child's own mapping of it (a copy made by fork) is not
        // touched: it stays until that child is gone.
        unsafe { libc::munmap(self.page.as_ptr().cast(), Self::LEN) };
    }
}

/// The page holding one child's [`Control`].
pub(super) type ControlPage = SharedPage<Control>;

/// A forked child, seen from the parent.
#[derive(Debug)]
pub(super) struct Child {
    pub(super) pid: i32,
    /// Readable once the child has exited.
    pub(super) pidfd: OwnedFd,
    /// The parent's end of the socketpair.
    pub(super) sock: OwnedFd,
    pub(super) control: ControlPage,
    /// How many results were read from its mailbox (see [`Mailbox::take_done`]).
    pub(super) reported: u32,
}

impl Child {
    /// SIGKILL through the pidfd (never a reused pid: the pidfd names this process only).
    pub(super) fn kill(&self) {
        let _ = pidfd::send_signal(self.pidfd.as_fd(), libc::SIGKILL);
    }

    /// Reaps the child if it has exited (`block`: waits until it has). Returns how it ended:
    /// `(exit code, signal)`, the code -1 when a signal ended it.
    pub(super) fn reap(&self, block: bool) -> Option<(i32, i32)> {
        let flags = (!block).then_some(WaitPidFlag::WNOHANG);
        loop {
            return match waitpid(Pid::from_raw(self.pid), flags) {
                Ok(WaitStatus::Exited(_, code)) => Some((code, 0)),
                Ok(WaitStatus::Signaled(_, sig, _)) => Some((-1, sig as i32)),
                Ok(WaitStatus::StillAlive) => None,
                Ok(_) => continue,
                Err(Errno::EINTR) => continue,
                // ECHILD: already reaped (cannot happen: only we wait for our pids).
                Err(_) => Some((-1, 0)),
            };
        }
    }
}

/// What the new child runs.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind<'a> {
    /// Serves parts until its socket closes.
    Persistent,
    /// Runs one part on its copy-on-write snapshot of the parent and exits.
    OneShot { seq: u64, part: &'a PartSpec },
}

/// Forks a child. Called on the JavaScript thread only; the child runs only the code in
/// `child.rs`. On failure nothing is left behind.
pub(super) fn spawn(kind: Kind<'_>, doorbell: &Doorbell) -> Result<Child, SysError> {
    child::install_panic_hook();
    release::check_allocator();
    let (sock, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| SysError::new("socketpair", e))?;
    // SAFETY: a `Control` is atomics only, all zero valid (cancel off, nothing started,
    // nothing posted or reported).
    let control = unsafe { ControlPage::new() }.map_err(|e| SysError::new("mmap", e))?;
    // A persistent child unmaps every segment it inherits, so it holds memory only while it
    // is asked to: list them with the registry locked across the fork, so the list is exact.
    let (registry, inherited) = match kind {
        Kind::Persistent => {
            let (guard, list) = segment::live_mappings();
            (Some(guard), list)
        }
        Kind::OneShot { .. } => (None, Vec::new()),
    };
    let setup = Setup {
        sock: theirs.as_raw_fd(),
        control: control.get(),
        doorbell,
        parent: std::process::id() as libc::pid_t,
        inherited,
    };
    // SAFETY: the child runs only `persistent_main`/`one_shot_main`, which follow the rules in
    // `child.rs` (no lock another thread may hold, glibc malloc only, `_exit` at the end);
    // everything they read was built before the fork.
    let forked = unsafe { nix::unistd::fork() };
    match forked {
        Ok(ForkResult::Child) => match kind {
            // SAFETY: we are the new child, right after fork.
            Kind::Persistent => unsafe { child::persistent_main(&setup) },
            // SAFETY: as above; `part` was built before the fork.
            Kind::OneShot { seq, part } => unsafe { child::one_shot_main(&setup, seq, part) },
        },
        Err(e) => Err(SysError::new("fork", e)),
        Ok(ForkResult::Parent { child }) => {
            drop(registry);
            drop(theirs);
            let pid = child.as_raw();
            let pidfd = pidfd::open(pid).inspect_err(|_| {
                // Without a pidfd it could not be reaped safely: end it now.
                let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                let _ = waitpid(child, None);
            })?;
            Ok(Child {
                pid,
                pidfd,
                sock,
                control,
                reported: 0,
            })
        }
    }
}
