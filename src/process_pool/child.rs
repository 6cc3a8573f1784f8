//! What runs in a forked child. See `docs/fork.md` for the rules and why they hold.
//!
//! The parent is multi-threaded (V8, libuv, rayon, napi), and `fork` copies only the calling
//! thread: any lock another thread held at that instant stays locked forever in the child.
//! So a child calls nothing that takes such a lock: no rayon, no JavaScript or napi, no std
//! stdout/stderr (their locks), no panic printing. It allocates only through glibc's malloc,
//! whose own fork handlers take every arena lock before the fork and reset them in the child,
//! and it ends with `_exit`, never running destructors or atexit handlers of the parent's state.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU64, Ordering};

use crate::kernels::{Ctx, RawView};
use crate::shm::segment::Mapped;
use crate::sys::after_fork;

use super::fork::Control;
use super::kernels::{self, Fail};
use super::mailbox::Doorbell;
use super::protocol::{Done, Loc, Msg, PartOutcome, PartSpec};
use super::socket::{self, Received};

/// Exit code of a child whose kernel panicked (after it reported the panic).
pub(super) const PANIC_EXIT: i32 = 70;
/// Segments a persistent child keeps mapped at most (the parent evicts the oldest first).
pub(super) const MAX_MAPPED: usize = 64;

/// In a child: its socket (the panic hook reports there); -1 in the parent.
static CHILD_SOCKET: AtomicI32 = AtomicI32::new(-1);
/// In a child: the sequence number of the part it is running.
static CHILD_SEQ: AtomicU64 = AtomicU64::new(0);
/// In a child: its control page (test kernels write into its mailbox); null in the parent.
static CHILD_CONTROL: AtomicPtr<Control> = AtomicPtr::new(std::ptr::null_mut());
/// In a child: the pool's doorbell; null in the parent.
static CHILD_DOORBELL: AtomicPtr<Doorbell> = AtomicPtr::new(std::ptr::null_mut());

/// Everything a child needs, prepared by the parent before `fork`.
#[derive(Debug)]
pub(super) struct Setup {
    /// The child's end of its socketpair.
    pub(super) sock: RawFd,
    /// The child's control page (shared with the parent): the cancel flag, the part started.
    pub(super) control: *const Control,
    /// The pool's doorbell (shared with the parent), rung after writing a result.
    pub(super) doorbell: *const Doorbell,
    /// The parent's pid.
    pub(super) parent: libc::pid_t,
    /// Segment mappings inherited from the parent, to unmap (persistent children only).
    pub(super) inherited: Vec<Mapped>,
}

/// Installs (once, in the parent, before the first fork) a panic hook that, in a child only,
/// reports the panic on the child's socket and ends the child at once: no unwinding through
/// frames copied from the parent's thread, no printing (the stderr lock may be held), no
/// other hook. In the parent it defers to the hook that was there before.
pub(super) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let sock = CHILD_SOCKET.load(Ordering::Relaxed);
            if sock < 0 {
                previous(info);
                return;
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("a native kernel panicked");
            // `Done` keeps the message in a fixed buffer: no allocation on the way out.
            let done = Done::new(
                CHILD_SEQ.load(Ordering::Relaxed),
                PartOutcome::Panicked,
                0.0,
                message,
            );
            let _ = socket::send(sock, &Msg::Done(done), None, false);
            exit_now(PANIC_EXIT)
        }));
    });
}

/// Ends the process now: no destructors, no atexit handlers, no stdio flushing.
pub(super) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and always safe to call; it does not return.
    unsafe { libc::_exit(code) }
}

/// Makes the child fault on purpose (tests of crash isolation): reads a page mapped with no
/// access rights, which the kernel answers with SIGSEGV.
#[cfg(any(test, feature = "test-kernels"))]
pub(super) fn segfault() -> ! {
    // SAFETY: a fresh private anonymous mapping of one page with PROT_NONE.
    let page = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if page != libc::MAP_FAILED {
        // SAFETY: the address is a live mapping we own, so no Rust object is aliased; the read
        // faults by design and the kernel ends the process with SIGSEGV before it returns.
        unsafe { std::ptr::read_volatile(page.cast::<u8>()) };
    }
    // Unreachable in practice; make sure the child still dies of SIGSEGV.
    // SAFETY: raising a signal in our own process.
    unsafe { libc::raise(libc::SIGSEGV) };
    exit_now(PANIC_EXIT)
}

/// Turns the freshly forked process into a clean worker: default signal handling, no
/// blocked signals, dies with its parent, stdio on /dev/null, no fd of the parent but its own
/// socket.
///
/// # Safety
/// Must be called in the child right after `fork`, before anything else.
unsafe fn become_worker(setup: &Setup) {
    // SAFETY (this block): async-signal-safe syscalls on valid pointers to this frame's data.
    unsafe {
        // The parent's handlers (V8's, libuv's signal pipe) must not run here: a SIGTERM
        // handled by libuv's handler would write to the *parent's* signal pipe.
        after_fork::reset_signals();
        // Die with the thread that forked us; if the parent is already gone, go now.
        if !after_fork::die_with_parent(setup.parent) {
            exit_now(0);
        }
        libc::prctl(libc::PR_SET_NAME, c"np-process".as_ptr(), 0, 0, 0);

        // stdio on /dev/null, then every inherited fd closed except our socket: holding the
        // parent's listening sockets, pipes or epoll-registered fds would keep them alive.
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if null >= 0 {
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
        }
        // close_range(2) through syscall(2): the glibc wrapper is newer than some systems'.
        let sock = setup.sock as libc::c_uint;
        if sock > 3 {
            libc::syscall(libc::SYS_close_range, 3 as libc::c_uint, sock - 1, 0);
        }
        libc::syscall(libc::SYS_close_range, sock + 1, libc::c_uint::MAX, 0);
    }
    CHILD_SOCKET.store(setup.sock, Ordering::Relaxed);
    CHILD_CONTROL.store(setup.control.cast_mut(), Ordering::Relaxed);
    CHILD_DOORBELL.store(setup.doorbell.cast_mut(), Ordering::Relaxed);
}

/// A persistent child: unmaps the segments it inherited, then runs the parts it is sent until
/// its socket closes.
///
/// # Safety
/// Must be called in the child right after `fork`, with `setup` prepared before the fork.
pub(super) unsafe fn persistent_main(setup: &Setup) -> ! {
    // SAFETY: guaranteed by the caller.
    unsafe { become_worker(setup) };
    for m in &setup.inherited {
        // SAFETY: these are the live segment mappings the parent had at fork time (listed
        // under the registry lock held across the fork); nothing in this process uses them.
        unsafe { libc::munmap(m.base as *mut libc::c_void, m.len) };
    }
    // SAFETY: a persistent child right after the fork; it reads no large allocation of the
    // parent's (its parts come on the socket, its views in segments it maps itself).
    unsafe { super::release::drop_inherited_allocations() };
    // SAFETY: the control page is a MAP_SHARED mapping made before the fork; the parent
    // unmaps its copy only after reaping us.
    let control = unsafe { &*setup.control };
    // SAFETY: as for the control page: a MAP_SHARED mapping made before the fork, which this
    // process's copy keeps mapped until it exits.
    let doorbell = unsafe { &*setup.doorbell };
    let body = std::panic::AssertUnwindSafe(|| serve(setup.sock, control, doorbell));
    // The panic hook ends the child before unwinding; this only guards against a hook that
    // was replaced without chaining ours.
    let _ = std::panic::catch_unwind(body);
    exit_now(PANIC_EXIT)
}

/// A one-shot child: runs `part` (whose views are addresses in the copy-on-write snapshot it
/// inherited), reports, and exits.
///
/// # Safety
/// As for [`persistent_main`]; `part` must have been built before the fork.
pub(super) unsafe fn one_shot_main(setup: &Setup, seq: u64, part: &PartSpec) -> ! {
    // SAFETY: guaranteed by the caller.
    unsafe { become_worker(setup) };
    // SAFETY: as in `persistent_main`.
    let control = unsafe { &*setup.control };
    let body = std::panic::AssertUnwindSafe(|| {
        let done = run_part(seq, part, control.cancel(), &[]);
        let _ = socket::send(setup.sock, &Msg::Done(done), None, false);
    });
    let _ = std::panic::catch_unwind(body);
    exit_now(0)
}

/// A persistent child's mapped segments: (id, base, len).
type Maps = Vec<(u64, usize, usize)>;

/// Serves the parts posted in the mailbox. Each request first has the child read what its
/// socket holds (segments to map and unmap, sent before the request), then take the part
/// posted, if a new one was. Ends when the socket closes.
fn serve(sock: RawFd, control: &Control, doorbell: &Doorbell) {
    let mut maps: Maps = Vec::with_capacity(MAX_MAPPED);
    let mailbox = &control.mailbox;
    let (mut request, mut taken) = (0, 0);
    loop {
        request = mailbox.wait(request);
        if !read_socket(sock, &mut maps) {
            return;
        }
        let Some(part) = mailbox.take_part(&mut taken) else {
            continue;
        };
        // Before anything of the part is done: from here on, if this child dies, the parent
        // fails the part's task rather than run it again elsewhere.
        control.start(taken);
        let done = match part {
            Some(part) => run_part(taken, &part, control.cancel(), &maps),
            None => Done::new(taken, PartOutcome::Invalid, 0.0, "a garbled part"),
        };
        mailbox.report(&done);
        doorbell.ring();
    }
}

/// Reads every message waiting on the socket (without blocking): maps and unmaps segments.
/// False once the socket is closed.
fn read_socket(sock: RawFd, maps: &mut Maps) -> bool {
    loop {
        match socket::recv(sock, true) {
            Received::Msg(Msg::Map { id, len }, Some(fd)) => {
                // SAFETY: mapping a memfd the parent sent us, at a place the kernel picks.
                let base = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        len as usize,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_SHARED,
                        fd.as_raw_fd(),
                        0,
                    )
                };
                // The fd closes here (dropped); the mapping keeps the memory.
                drop(fd);
                if base != libc::MAP_FAILED {
                    maps.push((id, base as usize, len as usize));
                }
            }
            Received::Msg(Msg::Unmap { id }, _) => {
                if let Some(i) = maps.iter().position(|m| m.0 == id) {
                    let (_, base, len) = maps.swap_remove(i);
                    // SAFETY: our own mapping of that segment; no part is running.
                    unsafe { libc::munmap(base as *mut libc::c_void, len) };
                }
            }
            // A stray fd that came with any other message closes as it is dropped.
            Received::Msg(..) | Received::Garbage => {}
            Received::Empty => return true,
            Received::Eof | Received::Error => return false,
        }
    }
}

/// Test kernels: writes the part's result (`value`) into the mailbox and dies before ringing
/// the doorbell, as a child killed right between the two would.
#[cfg(any(test, feature = "test-kernels"))]
pub(super) fn report_then_exit(value: f64) -> ! {
    let control = CHILD_CONTROL.load(Ordering::Relaxed);
    if !control.is_null() {
        let seq = CHILD_SEQ.load(Ordering::Relaxed);
        // SAFETY: set by `become_worker` to this child's control page, mapped until it exits.
        let mailbox = unsafe { &(*control).mailbox };
        mailbox.report(&Done::ok(seq, super::protocol::Reply::Value(value)));
    }
    exit_now(0)
}

/// Test kernels: writes garbage results into the mailbox (a length past the buffer, bytes
/// that are no message, a result for another part), ringing for each, then exits with `code`.
#[cfg(any(test, feature = "test-kernels"))]
pub(super) fn garbage_then_exit(code: i32) -> ! {
    let control = CHILD_CONTROL.load(Ordering::Relaxed);
    let doorbell = CHILD_DOORBELL.load(Ordering::Relaxed);
    if !control.is_null() && !doorbell.is_null() {
        let seq = CHILD_SEQ.load(Ordering::Relaxed);
        // SAFETY: as in `report_then_exit`; the doorbell likewise.
        let (mailbox, doorbell) = unsafe { (&(*control).mailbox, &*doorbell) };
        let other = Done::ok(seq.wrapping_add(1000), super::protocol::Reply::Value(1.0));
        mailbox.write_done_len(u32::MAX);
        doorbell.ring();
        mailbox.write_done(&[0xff; 100]);
        doorbell.ring();
        mailbox.write_done(&[]);
        doorbell.ring();
        mailbox.report(&other);
        doorbell.ring();
    }
    exit_now(code)
}

/// Runs one part with the serial kernel context and reports how it went.
fn run_part(seq: u64, part: &PartSpec, cancel: &AtomicBool, maps: &[(u64, usize, usize)]) -> Done {
    CHILD_SEQ.store(seq, Ordering::Relaxed);
    let Some(kernel) = kernels::kernel(part.kernel as usize) else {
        return Done::new(seq, PartOutcome::Invalid, 0.0, "unknown kernel");
    };
    let mut views = Vec::with_capacity(part.views().len());
    for v in part.views() {
        let bytes = (v.len as usize).saturating_mul(v.kind.size());
        let addr = match v.loc {
            Loc::Addr(addr) => Some(addr as usize),
            Loc::Segment { id, offset } => maps
                .iter()
                .find(|m| m.0 == id)
                .filter(|m| {
                    (offset as usize)
                        .checked_add(bytes)
                        .is_some_and(|end| end <= m.2)
                })
                .map(|m| m.1 + offset as usize),
        };
        let Some(addr) = addr else {
            return Done::new(
                seq,
                PartOutcome::Invalid,
                0.0,
                "a view lies outside its segment",
            );
        };
        // SAFETY: the view contract (kernels::view) for these bytes until `part` returns:
        // (1) they lie in this child's own mapping of a sealed memfd (checked just above; it is
        // unmapped only between parts) or in its private copy-on-write snapshot; (4) the parent
        // checked that no output overlaps another view, and its plan gives each child a
        // disjoint band of an output; (2, 3) no other writer or reader of what a part writes is
        // the user's promise, and a snapshot has none.
        views.push(unsafe { RawView::from_raw(addr as *mut u8, v.len as usize, v.kind) });
    }
    match kernel.part(part.params(), views, &Ctx::serial(cancel)) {
        Ok(reply) => Done::ok(seq, reply),
        Err(Fail::Cancelled) => Done::new(seq, PartOutcome::Cancelled, 0.0, ""),
        Err(Fail::Invalid(m)) => Done::new(seq, PartOutcome::Invalid, 0.0, &m),
    }
}
