//! A persistent child gives back the large allocations it inherited.
//!
//! After `fork` a child maps every private page of the parent copy-on-write. It uses almost
//! none of them, but as long as it maps them it keeps them: once the parent frees or rewrites
//! such a page, the child's copy becomes memory of its own. For the parent's large allocations
//! (glibc serves 128 KiB and more — Node's Buffers and ArrayBuffers, big Vecs — with a mapping
//! each) that is memory a worker would pin for its whole life, and several times over with
//! several workers. So a persistent child unmaps them before it serves its first part.
//!
//! Only glibc's malloc is recognised (the parent checks the layout of one large allocation
//! before its first fork; another allocator, preloaded say, turns this off), and only what is positively recognised is
//! dropped: in an anonymous private mapping (`rw-p`, no name) that is not the child's own stack
//! or thread block, a resident page that starts a glibc "mmapped chunk" — a zero `prev_size`
//! word, then a `size` word that is a page-multiple length with only the `IS_MMAPPED` flag set
//! (`sysmalloc_mmap` in glibc's malloc.c) — and the chunk's length from there. Heaps of malloc's
//! other arenas (64 MiB aligned) are skipped whole; the brk heap, thread stacks and file
//! mappings are never looked at. A persistent child reads no large allocation of the parent's:
//! its parts arrive on its socket, its views lie in SharedMemory segments it maps itself, and
//! what it allocates after the fork comes from its own arena.
//!
//! Runs in the child right after the fork: raw system calls and stack buffers only (no
//! allocation, no lock), as `docs/fork.md` requires.

use std::sync::atomic::{AtomicU8, Ordering};

/// Whether `malloc` is glibc's (0: not asked yet, 1: yes, 2: no): the scan recognises glibc's
/// chunk headers only, so with another allocator it does nothing.
static GLIBC_MALLOC: AtomicU8 = AtomicU8::new(0);

/// Finds out, in the parent before the first fork, whether `malloc` lays out a large
/// allocation as glibc does: a 40 MiB block must start 16 bytes into a page, behind an
/// "mmapped chunk" header of the right length.
pub(super) fn check_allocator() {
    if GLIBC_MALLOC.load(Ordering::Relaxed) != 0 {
        return;
    }
    let page = page_size();
    let len = 40 << 20;
    // SAFETY: malloc of a plain size; freed below. Never touched, so never made resident.
    let ptr = unsafe { libc::malloc(len) } as usize;
    let glibc = ptr != 0 && ptr % page == 16 && {
        let header = ptr - 16;
        let end = header + (len + 32).div_ceil(page) * page;
        // SAFETY: `header` is in the same page as the block `malloc` just returned, so it is
        // mapped; the check reads only the two words there.
        unsafe { mmapped_chunk_at(header, end, page) }.is_some_and(|n| n >= len + 16)
    };
    // SAFETY: allocated above (free of null does nothing).
    unsafe { libc::free(ptr as *mut libc::c_void) };
    GLIBC_MALLOC.store(if glibc { 1 } else { 2 }, Ordering::Relaxed);
}

/// glibc's chunk flag for an allocation that has a mapping of its own.
const IS_MMAPPED: u64 = 0x2;
/// glibc's heaps for arenas other than the main one are aligned to their largest size
/// (`HEAP_MAX_SIZE`, 64 MiB on 64-bit systems).
const ARENA_HEAP_ALIGN: usize = 64 << 20;
/// The three flag bits of a chunk's size word.
const FLAG_BITS: u64 = 0x7;
/// At most this many mappings are dropped per pass over `/proc/self/maps`.
const MAX_DROPS: usize = 256;
/// Passes over `/proc/self/maps` (each drops up to `MAX_DROPS`).
const MAX_PASSES: usize = 8;

/// Unmaps the glibc mmapped chunks found in inherited anonymous mappings (a mapping the kernel
/// merged from several allocations and other memory is scanned page by page).
///
/// # Safety
/// Only in a persistent child (single-threaded, right after `fork`), before anything could use
/// an allocation inherited from the parent that is 128 KiB or larger.
pub(super) unsafe fn drop_inherited_allocations() {
    if GLIBC_MALLOC.load(Ordering::Relaxed) != 1 {
        return;
    }
    let page = page_size();
    // This thread's stack and its thread control block (which glibc keeps in the stack
    // mapping of threads it created) are never scanned.
    let here = &page as *const usize as usize;
    // SAFETY: pthread_self has no preconditions; on glibc it is the thread's TCB address.
    let tcb = unsafe { libc::pthread_self() } as usize;
    for _ in 0..MAX_PASSES {
        let mut drops = [(0usize, 0usize); MAX_DROPS];
        let mut n = 0;
        let full = for_each_mapping(|m| {
            let ours = (m.start..m.end).contains(&here) || (m.start..m.end).contains(&tcb);
            if !m.is_plain_anonymous() || ours {
                return true;
            }
            let mut at = m.start;
            let mut resident = Resident::new(page);
            while at < m.end && n < MAX_DROPS {
                // Only pages in memory are looked at: touching the others would fault each one
                // in (thread stacks are mostly untouched), and a header is in memory anyway
                // unless swapped out (then the chunk is simply kept).
                if !resident.has(at, m.end) {
                    at += page;
                    continue;
                }
                // SAFETY: `m` is a live, readable (`rw-p`) mapping of this process listed by
                // the kernel, and `at` a page boundary inside it.
                match unsafe { mmapped_chunk_at(at, m.end, page) } {
                    Some(len) => {
                        drops[n] = (at, len);
                        n += 1;
                        at += len;
                    }
                    // A heap of one of malloc's other arenas (its `heap_info` starts on this
                    // alignment): all of it belongs to that arena, and walking its pages one by
                    // one would cost milliseconds in a parent with busy threads.
                    None if at.is_multiple_of(ARENA_HEAP_ALIGN) => at = m.end,
                    None => at += page,
                }
            }
            n < MAX_DROPS
        });
        for &(start, len) in &drops[..n] {
            // SAFETY: a glibc mmapped chunk inherited from the parent; by this function's
            // contract nothing in this process uses it.
            unsafe { libc::munmap(start as *mut libc::c_void, len) };
        }
        if full || n == 0 {
            break;
        }
    }
}

/// Which pages of a mapping are in memory, asked of the kernel (`mincore`) a window at a time.
struct Resident {
    page: usize,
    /// First address of the window in `vec`.
    start: usize,
    /// Pages in the window.
    pages: usize,
    vec: [u8; WINDOW],
}

/// Pages per `mincore` call.
const WINDOW: usize = 4096;

impl Resident {
    fn new(page: usize) -> Self {
        Self {
            page,
            start: 0,
            pages: 0,
            vec: [0; WINDOW],
        }
    }

    /// Whether the page at `at` (a page boundary below `end`, the mapping's end) is in memory.
    fn has(&mut self, at: usize, end: usize) -> bool {
        let inside = at >= self.start && at < self.start + self.pages * self.page;
        if !inside {
            let pages = ((end - at) / self.page).min(WINDOW);
            // SAFETY: `[at, at + pages * page)` lies inside a mapping of this process and
            // `vec` holds one byte per page of it.
            let ok = unsafe {
                libc::mincore(
                    at as *mut libc::c_void,
                    pages * self.page,
                    self.vec.as_mut_ptr(),
                )
            } == 0;
            if !ok {
                self.pages = 0;
                return false;
            }
            self.start = at;
            self.pages = pages;
        }
        self.vec[(at - self.start) / self.page] & 1 == 1
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf reads a constant of the process.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if v > 0 {
        v as usize
    } else {
        4096
    }
}

/// The length of the glibc mmapped chunk that starts at `at`, if one does and it ends by
/// `end`: a zero `prev_size` word, then a `size` word that is a multiple of the page size with
/// only the `IS_MMAPPED` flag set.
///
/// # Safety
/// `[at, end)` must be readable.
unsafe fn mmapped_chunk_at(at: usize, end: usize, page: usize) -> Option<usize> {
    if end - at < 16 {
        return None;
    }
    // SAFETY: `at + 16 <= end`, inside readable memory; volatile so the read happens as
    // written (this memory is not a Rust object).
    let (prev_size, size) = unsafe {
        (
            std::ptr::read_volatile(at as *const u64),
            std::ptr::read_volatile((at + 8) as *const u64),
        )
    };
    let len = (size & !FLAG_BITS) as usize;
    let chunk = prev_size == 0
        && size & FLAG_BITS == IS_MMAPPED
        && len != 0
        && len.is_multiple_of(page)
        && len <= end - at;
    chunk.then_some(len)
}

/// One line of `/proc/self/maps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mapping<'a> {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) perms: &'a [u8],
    pub(super) inode: u64,
    pub(super) name: &'a [u8],
}

impl Mapping<'_> {
    /// Private, readable and writable, not backed by a file and without a name (`[heap]`,
    /// `[stack]`, `[anon:…]` have one).
    fn is_plain_anonymous(&self) -> bool {
        self.perms == b"rw-p" && self.inode == 0 && self.name.is_empty()
    }
}

/// Parses one line (without its newline).
pub(super) fn parse_line(line: &[u8]) -> Option<Mapping<'_>> {
    let mut fields = line.splitn(6, |&b| b == b' ');
    let range = fields.next()?;
    let perms = fields.next()?;
    let _offset = fields.next()?;
    let _dev = fields.next()?;
    let inode = fields.next()?;
    let name = fields.next().unwrap_or(b"");
    let dash = range.iter().position(|&b| b == b'-')?;
    let start = hex(&range[..dash])?;
    let end = hex(&range[dash + 1..])?;
    let inode = decimal(inode)?;
    let first = name.iter().position(|&b| b != b' ').unwrap_or(name.len());
    (start < end && perms.len() == 4).then_some(Mapping {
        start,
        end,
        perms,
        inode,
        name: &name[first..],
    })
}

fn hex(s: &[u8]) -> Option<usize> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    s.iter().try_fold(0usize, |acc, &b| {
        let d = (b as char).to_digit(16)?;
        Some((acc << 4) | d as usize)
    })
}

fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| {
        let d = (b as char).to_digit(10)?;
        acc.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// Calls `f` for each line of `/proc/self/maps` until it returns false. Returns false when `f`
/// stopped early (or the file could not be read completely), true after the last line.
/// Reads through a stack buffer with raw system calls: no allocation.
fn for_each_mapping(mut f: impl FnMut(Mapping<'_>) -> bool) -> bool {
    // SAFETY: open with a NUL-terminated path; the result is checked.
    let fd = unsafe {
        libc::open(
            c"/proc/self/maps".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return false;
    }
    let mut buf = [0u8; 8192];
    let mut filled = 0;
    let mut complete = false;
    'read: loop {
        // SAFETY: reading into the unused tail of our own buffer.
        let got = unsafe { libc::read(fd, buf[filled..].as_mut_ptr().cast(), buf.len() - filled) };
        if got < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        if got <= 0 {
            complete = got == 0 && filled == 0;
            break;
        }
        filled += got as usize;
        let mut consumed = 0;
        while let Some(nl) = buf[consumed..filled].iter().position(|&b| b == b'\n') {
            let line = &buf[consumed..consumed + nl];
            consumed += nl + 1;
            if let Some(m) = parse_line(line) {
                if !f(m) {
                    break 'read;
                }
            }
        }
        if consumed == 0 && filled == buf.len() {
            // A line longer than the buffer (a very long path): give up rather than guess.
            break;
        }
        buf.copy_within(consumed..filled, 0);
        filled -= consumed;
    }
    // SAFETY: our own fd.
    unsafe { libc::close(fd) };
    complete
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_maps_lines() {
        let m = parse_line(b"7f51dc0a1000-7f51ddfff000 rw-p 00000000 00:00 0 ").unwrap();
        assert_eq!((m.start, m.end), (0x7f51dc0a1000, 0x7f51ddfff000));
        assert!(m.is_plain_anonymous());
        let heap = parse_line(b"0ad31000-0b2a0000 rw-p 00000000 00:00 0          [heap]").unwrap();
        assert_eq!(heap.name, b"[heap]");
        assert!(!heap.is_plain_anonymous());
        let file = parse_line(b"55d0-55e0 r-xp 00001000 08:01 1234   /usr/bin/node").unwrap();
        assert_eq!((file.inode, file.name), (1234, &b"/usr/bin/node"[..]));
        assert!(!file.is_plain_anonymous());
        let shared = parse_line(b"1000-2000 rw-s 00000000 00:01 77 /memfd:x (deleted)").unwrap();
        assert!(!shared.is_plain_anonymous());
        assert_eq!(parse_line(b"garbage"), None);
        assert_eq!(parse_line(b"2000-1000 rw-p 0 00:00 0"), None);
        assert_eq!(parse_line(b"zz-1000 rw-p 0 00:00 0"), None);
    }

    #[test]
    fn lists_this_process_maps() {
        let mut n = 0;
        let mut stack = false;
        assert!(for_each_mapping(|m| {
            n += 1;
            stack |= m.name == b"[stack]";
            true
        }));
        assert!(n > 5 && stack);
        let mut seen = 0;
        assert!(!for_each_mapping(|_| {
            seen += 1;
            seen < 3
        }));
        assert_eq!(seen, 3);
    }

    /// A fresh anonymous mapping laid out as `chunks` (lengths in pages) of mmapped chunks.
    fn fake_chunks(pages: &[usize], page: usize) -> (usize, usize) {
        let len = pages.iter().sum::<usize>() * page;
        // SAFETY: a new private anonymous mapping.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        } as usize;
        assert_ne!(base, libc::MAP_FAILED as usize);
        let mut at = base;
        for p in pages {
            // SAFETY: inside the mapping we just made.
            unsafe { ((at + 8) as *mut u64).write((p * page) as u64 | IS_MMAPPED) };
            at += p * page;
        }
        (base, len)
    }

    #[test]
    fn recognises_chunk_headers_only() {
        let page = page_size();
        let (base, len) = fake_chunks(&[1, 3, 2], page);
        // SAFETY (each call): the mapping made above, alive until munmap below.
        unsafe {
            assert_eq!(mmapped_chunk_at(base, base + len, page), Some(page));
            assert_eq!(
                mmapped_chunk_at(base + page, base + len, page),
                Some(3 * page)
            );
            // A chunk that would run past the end of the mapping.
            assert_eq!(mmapped_chunk_at(base + page, base + 3 * page, page), None);
            // Inside a chunk: zeros, not a header.
            assert_eq!(mmapped_chunk_at(base + 2 * page, base + len, page), None);
            // Another flag (NON_MAIN_ARENA) set: not an mmapped chunk.
            let size = (base + 8) as *mut u64;
            size.write(page as u64 | IS_MMAPPED | 0x4);
            assert_eq!(mmapped_chunk_at(base, base + len, page), None);
            // Not a page multiple.
            size.write(100 | IS_MMAPPED);
            assert_eq!(mmapped_chunk_at(base, base + len, page), None);
            size.write(page as u64 | IS_MMAPPED);
            // A nonzero prev_size (an aligned allocation): kept.
            (base as *mut u64).write(64);
            assert_eq!(mmapped_chunk_at(base, base + len, page), None);
            libc::munmap(base as *mut libc::c_void, len);
        }
    }

    #[test]
    fn glibc_malloc_is_recognised() {
        check_allocator();
        assert_eq!(GLIBC_MALLOC.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn recognises_a_real_glibc_allocation() {
        // Larger than glibc's largest dynamic mmap threshold (32 MiB): always its own mapping.
        let len = 40 << 20;
        // SAFETY: malloc of a plain size; freed below.
        let ptr = unsafe { libc::malloc(len) } as usize;
        assert_ne!(ptr, 0);
        let mut found = None;
        for_each_mapping(|m| {
            if m.start <= ptr && ptr < m.end {
                found = Some((m.start, m.end, m.is_plain_anonymous()));
            }
            found.is_none()
        });
        let (start, end, anonymous) = found.expect("the allocation is mapped");
        assert!(anonymous);
        // glibc's chunk header sits 16 bytes below the pointer, at a page boundary.
        let header = ptr - 16;
        assert!(start <= header && header.is_multiple_of(page_size()));
        // SAFETY: a live mapping of this process.
        let chunk = unsafe { mmapped_chunk_at(header, end, page_size()) };
        assert!(chunk.is_some_and(|n| n >= len));
        // SAFETY: allocated above.
        unsafe { libc::free(ptr as *mut libc::c_void) };
    }
}
