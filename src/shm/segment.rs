//! One shared memory segment: a memfd mapped `MAP_SHARED`, and the process-wide list of live
//! segments.
//!
//! A segment's memfd is sealed against shrinking and growing once it has its size, so no
//! process holding the fd can ever make part of a mapping lie beyond the end of the file (the
//! one way a `MAP_SHARED` mapping raises SIGBUS). `open` accepts only fds that carry the same
//! seals. The mapping lives until the last `Arc<Segment>` goes: JavaScript's `ArrayBuffer`
//! holds one through its finaliser, a process-pool task holds one while it runs.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use nix::errno::Errno;

use crate::sys::SysError;

/// Largest segment: 4 GiB, the largest external `ArrayBuffer` Node 20 makes (napi builds it
/// as a `Buffer`, capped at `buffer.constants.MAX_LENGTH`). Pages are only backed by memory
/// once touched, so a large segment costs address space, not RAM, until it is used.
pub(crate) const MAX_BYTES: usize = 1 << 32;

/// The seals every segment's memfd carries.
const SEALS: libc::c_int = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;

/// Why a segment could not be made or opened.
#[derive(Debug)]
pub(crate) enum SegmentError {
    /// A system call failed.
    Sys(SysError),
    /// The fd is not one `open` accepts (the reason).
    Unsuitable(String),
}

impl std::fmt::Display for SegmentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sys(e) => e.fmt(f),
            Self::Unsuitable(why) => f.write_str(why),
        }
    }
}

/// A live mapping of a memfd.
#[derive(Debug)]
pub(crate) struct Segment {
    id: u64,
    base: NonNull<u8>,
    len: usize,
    /// The memfd, until `close_fd` (JavaScript's `close()`): the mapping does not need it.
    fd: Mutex<Option<OwnedFd>>,
}

// SAFETY: `base` points to a MAP_SHARED mapping owned by this value; it is only unmapped in
// `Drop`, and every access through it is to plain bytes that any thread (or process) may
// touch: callers use atomics for words they share and otherwise follow the documented
// "no concurrent writers" contract of the kernels.
unsafe impl Send for Segment {}
// SAFETY: as above; the fd is behind a mutex.
unsafe impl Sync for Segment {}

/// Where a live segment is mapped, for children that must unmap what they inherited.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mapped {
    pub(crate) base: usize,
    pub(crate) len: usize,
}

type Registry = HashMap<u64, (Weak<Segment>, Mapped)>;

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

fn lock_registry() -> MutexGuard<'static, Registry> {
    registry().lock().unwrap_or_else(|e| e.into_inner())
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Segment {
    /// A new zero-filled segment of `len` bytes (1 ..= MAX_BYTES).
    pub(crate) fn create(len: usize) -> Result<Arc<Self>, SegmentError> {
        if len == 0 || len > MAX_BYTES {
            return Err(SegmentError::Unsuitable(format!(
                "a segment must be 1 to {MAX_BYTES} bytes"
            )));
        }
        // SAFETY: the name is a valid C string; the flags are valid memfd flags.
        let raw = unsafe {
            libc::memfd_create(
                c"native-parallel-shm".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        if raw < 0 {
            return Err(SegmentError::Sys(SysError::last("memfd_create")));
        }
        // SAFETY: memfd_create returned a new fd that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let size = libc::off_t::try_from(len)
            .map_err(|_| SegmentError::Unsuitable("the size does not fit off_t".into()))?;
        // SAFETY: plain syscalls on an fd we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } < 0 {
            return Err(SegmentError::Sys(SysError::last("ftruncate")));
        }
        // SAFETY: as above.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, SEALS) } < 0 {
            return Err(SegmentError::Sys(SysError::last("fcntl(F_ADD_SEALS)")));
        }
        Self::map(fd, len)
    }

    /// Maps an existing memfd (duplicated: the caller keeps its own fd). The fd must be open
    /// for reading and writing and sealed against shrinking, as every segment's memfd is.
    pub(crate) fn open(fd: RawFd) -> Result<Arc<Self>, SegmentError> {
        let fd = dup_cloexec(fd)
            .map_err(|e| SegmentError::Sys(SysError::new("fcntl(F_DUPFD_CLOEXEC)", e)))?;
        // SAFETY: plain fcntl queries on an fd we own.
        let (flags, seals) = unsafe {
            (
                libc::fcntl(fd.as_raw_fd(), libc::F_GETFL),
                libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS),
            )
        };
        if flags < 0 || flags & libc::O_ACCMODE != libc::O_RDWR {
            return Err(SegmentError::Unsuitable(
                "the fd must be open for reading and writing".into(),
            ));
        }
        if seals < 0 || seals & libc::F_SEAL_SHRINK == 0 {
            return Err(SegmentError::Unsuitable(
                "the fd must be a memfd sealed against shrinking (as every SharedMemory's fd is)"
                    .into(),
            ));
        }
        let stat =
            nix::sys::stat::fstat(&fd).map_err(|e| SegmentError::Sys(SysError::new("fstat", e)))?;
        let len = usize::try_from(stat.st_size).unwrap_or(0);
        if len == 0 || len > MAX_BYTES {
            return Err(SegmentError::Unsuitable(format!(
                "the memfd is {} bytes; a segment must be 1 to {MAX_BYTES} bytes",
                stat.st_size
            )));
        }
        Self::map(fd, len)
    }

    fn map(fd: OwnedFd, len: usize) -> Result<Arc<Self>, SegmentError> {
        // Mapped and registered under the registry lock: a child forked meanwhile (with the
        // lock held, see `live_mappings`) must not inherit a mapping missing from its list.
        let mut registry = lock_registry();
        // SAFETY: a fresh shared mapping of `len` bytes of a file that is `len` bytes long and
        // sealed against shrinking; the kernel picks the address.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(SegmentError::Sys(SysError::last("mmap")));
        }
        let base = NonNull::new(base.cast::<u8>())
            .ok_or(SegmentError::Sys(SysError::new("mmap", Errno::EINVAL)))?;
        let segment = Arc::new(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            base,
            len,
            fd: Mutex::new(Some(fd)),
        });
        let mapped = Mapped {
            base: base.as_ptr() as usize,
            len,
        };
        registry.insert(segment.id, (Arc::downgrade(&segment), mapped));
        Ok(segment)
    }

    /// Unique within this process (ids are never reused).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Runs `f` with the memfd, or returns None once it was closed.
    pub(crate) fn with_fd<R>(&self, f: impl FnOnce(RawFd) -> R) -> Option<R> {
        let fd = self.fd.lock().unwrap_or_else(|e| e.into_inner());
        fd.as_ref().map(|fd| f(fd.as_raw_fd()))
    }

    /// Closes the memfd (the mapping stays until the last reference goes).
    pub(crate) fn close_fd(&self) {
        self.fd.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Offset of `[addr, addr + bytes)` inside the mapping, if it lies wholly inside.
    pub(crate) fn offset_of(&self, addr: usize, bytes: usize) -> Option<usize> {
        let start = self.base.as_ptr() as usize;
        let offset = addr.checked_sub(start)?;
        (offset.checked_add(bytes)? <= self.len).then_some(offset)
    }

    /// The 32-bit word at `index` (byte offset `4 * index`), if it lies inside the mapping.
    pub(crate) fn word(&self, index: usize) -> Option<&AtomicI32> {
        let offset = index.checked_mul(4)?;
        if offset.checked_add(4)? > self.len {
            return None;
        }
        // SAFETY: the mapping is page-aligned, so `offset` (a multiple of 4) gives an aligned
        // i32 inside it; it stays mapped while `self` lives, and all access to shared words
        // is atomic (JavaScript uses Atomics, other processes futexes and atomics).
        Some(unsafe { AtomicI32::from_ptr(self.base.as_ptr().add(offset).cast::<i32>()) })
    }

    /// The live segment with this id, if any.
    pub(crate) fn find(id: u64) -> Option<Arc<Segment>> {
        lock_registry()
            .get(&id)
            .and_then(|(weak, _)| weak.upgrade())
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // Unregistered and unmapped under the lock, for the same reason as in `map`.
        let mut registry = lock_registry();
        registry.remove(&self.id);
        // SAFETY: `base`/`len` are exactly the mapping made in `map`, and this is the last
        // reference to it: JavaScript's ArrayBuffer holds one until V8 finalises it, and every
        // native user holds one while it works.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
        drop(registry);
    }
}

/// A close-on-exec duplicate of `fd` (above stdio), ours to own; an fd that is not open gives
/// EBADF. Used for a memfd handed in from JavaScript (`fromFd`) and for the fds the cluster
/// passes to a worker.
pub(crate) fn dup_cloexec(fd: RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: F_DUPFD_CLOEXEC on any integer is safe: it reads no memory and fails with EBADF
    // when the fd is not open.
    let raw = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if raw < 0 {
        return Err(Errno::last());
    }
    // SAFETY: the duplicate is a new fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// Every live segment's mapping, with the registry locked: no segment can be mapped or
/// unmapped while the guard lives. The process pool forks while holding it, so that a
/// persistent child can unmap exactly the segments it inherited.
pub(crate) fn live_mappings() -> (MutexGuard<'static, impl Sized>, Vec<Mapped>) {
    let guard = lock_registry();
    let list = guard.values().map(|(_, m)| *m).collect();
    (guard, list)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn create_open_and_share_words() {
        let a = Segment::create(10).unwrap();
        assert_eq!(a.len(), 10);
        let b = a.with_fd(Segment::open).unwrap().unwrap();
        assert_ne!(a.id(), b.id());
        assert_ne!(a.base(), b.base(), "a second, distinct mapping");
        a.word(1).unwrap().store(42, Ordering::SeqCst);
        assert_eq!(b.word(1).unwrap().load(Ordering::SeqCst), 42);
        assert!(
            a.word(2).is_none(),
            "bytes 8..12 run past the 10-byte segment"
        );
        assert!(Segment::find(a.id()).is_some());
        let id = a.id();
        drop(a);
        assert!(Segment::find(id).is_none());
        assert_eq!(b.word(1).unwrap().load(Ordering::SeqCst), 42);
    }

    #[test]
    fn sizes_and_unsuitable_fds_are_refused() {
        assert!(Segment::create(0).is_err());
        assert!(Segment::create(MAX_BYTES + 1).is_err());
        assert!(matches!(Segment::open(-1), Err(SegmentError::Sys(..))));
        let file = std::fs::File::open("/proc/self/stat").unwrap();
        let err = Segment::open(file.as_raw_fd()).unwrap_err().to_string();
        assert!(err.contains("reading and writing"), "{err}");
        let tmp = std::env::temp_dir().join(format!("np-seg-{}", std::process::id()));
        let rw = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .unwrap();
        rw.set_len(4096).unwrap();
        let err = Segment::open(rw.as_raw_fd()).unwrap_err().to_string();
        assert!(err.contains("sealed"), "{err}");
        std::fs::remove_file(tmp).unwrap();
    }

    #[test]
    fn offsets_are_bounds_checked() {
        let s = Segment::create(100).unwrap();
        let base = s.base() as usize;
        assert_eq!(s.offset_of(base, 100), Some(0));
        assert_eq!(s.offset_of(base + 60, 40), Some(60));
        assert_eq!(s.offset_of(base + 60, 41), None);
        assert_eq!(s.offset_of(base - 1, 1), None);
        assert_eq!(s.offset_of(usize::MAX, 2), None);
    }
}
