//! Typed-array views handed from JavaScript (or from a parent process) to native kernels.
//!
//! A [`RawView`] is an address, a length and an element type, like a raw pointer; a kernel
//! turns it into `&[T]` / `&mut [T]` ([`SharedSlice::as_slice`], [`SharedSlice::as_mut`]) and
//! works on the memory in place. That memory is shared: JavaScript on any thread, and other
//! processes for a `SharedMemory`, can reach it while a kernel runs. Rust's references forbid
//! that: while a `&[T]` lives nobody may write its bytes, and while a `&mut [T]` lives nobody
//! else may read or write them. A write from another thread or process meanwhile is a data
//! race, which is undefined behaviour in Rust's model, not an unspecified value: the compiler
//! may assume the bytes do not change under a reference.
//!
//! # The view contract
//!
//! Every `RawView` is made under this contract, for its `len * kind.size()` bytes, from the
//! moment it is made until the task that uses it is reported (the last slice made from it is
//! gone). The `// SAFETY:` lines that make slices cite these numbers.
//!
//! 1. **Live.** The bytes stay mapped, readable and writable: not freed, unmapped, detached or
//!    shrunk. Kept by the facade (`lib/thread-pool.js`, `lib/process-pool.js`): views go to
//!    native code only over a `SharedArrayBuffer` or a `SharedMemory` (a plain `ArrayBuffer`
//!    is copied into a `SharedArrayBuffer` and back; a ProcessPool child reads its own
//!    copy-on-write snapshot), each view stays referenced and each `SharedMemory` pinned
//!    (`close()` refuses) until the task settles, and memfds are sealed against shrinking.
//! 2. **No writer outside the task.** Nothing outside the task writes the bytes: no
//!    JavaScript on any thread, no other task, no other process. Kept by the user; nothing
//!    here can check it (`docs/unsafe.md` says what breaking it does).
//! 3. **An output is the task's alone.** Nothing outside the task reads the bytes of a view
//!    the task writes. Kept by the user, as 2.
//! 4. **No aliasing inside the task.** An output shares no byte with another view of the same
//!    task. Kept by the facade (it refuses overlapping views) and again by each kernel's
//!    `prepare` (`ensure_disjoint`), before any slice is made.

use std::marker::PhantomData;
use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, ValueType};

/// The element type of a typed array, as napi reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElemKind {
    I8,
    U8,
    U8Clamped,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
    Other,
}

impl ElemKind {
    fn from_napi(kind: i32) -> Self {
        use sys::TypedarrayType as T;
        match kind {
            T::int8_array => Self::I8,
            T::uint8_array => Self::U8,
            T::uint8_clamped_array => Self::U8Clamped,
            T::int16_array => Self::I16,
            T::uint16_array => Self::U16,
            T::int32_array => Self::I32,
            T::uint32_array => Self::U32,
            T::float32_array => Self::F32,
            T::float64_array => Self::F64,
            _ => Self::Other,
        }
    }

    /// Size in bytes of one element (1 for kinds native code does not use).
    pub fn size(self) -> usize {
        match self {
            Self::I16 | Self::U16 => 2,
            Self::I32 | Self::U32 | Self::F32 => 4,
            Self::F64 => 8,
            _ => 1,
        }
    }
}

/// A pointer and length read from a JavaScript typed array, made under the view contract
/// (module docs).
#[derive(Debug, Clone, Copy)]
pub struct RawView {
    ptr: *mut u8,
    len: usize,
    kind: ElemKind,
}

// SAFETY: a RawView is plain data (an address and a length), made under the view contract,
// which holds whichever thread uses it; it is only dereferenced through `SharedSlice`.
unsafe impl Send for RawView {}

impl RawView {
    /// A view over memory owned by Rust, for tests. Like taking a raw pointer from `data`,
    /// this borrows nothing: the test keeps `data` alive and leaves it alone (items 1–3 of the
    /// view contract) until the job made from the view is dropped.
    #[cfg(test)]
    pub fn from_slice<T: Elem>(data: &mut [T]) -> Self {
        Self {
            ptr: data.as_mut_ptr().cast(),
            len: data.len(),
            kind: T::KIND,
        }
    }

    /// A view over `len` elements of `kind` at `ptr`: memory shared with other processes (a
    /// `SharedMemory` segment), or a forked child's copy-on-write snapshot of its parent's.
    ///
    /// # Safety
    /// The view contract (module docs) must hold for the `len * kind.size()` bytes at `ptr`
    /// until the last slice made from this view is gone: they stay mapped (1), nothing outside
    /// the task writes them (2) or, if the task writes them, reads them (3), and no other view
    /// of the task that is written overlaps them (4). `ptr` need not be aligned: [`Self::typed`]
    /// checks that.
    pub unsafe fn from_raw(ptr: *mut u8, len: usize, kind: ElemKind) -> Self {
        Self { ptr, len, kind }
    }

    /// The address of the first element.
    pub fn addr(&self) -> usize {
        self.ptr as usize
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn kind(&self) -> ElemKind {
        self.kind
    }

    fn byte_range(&self) -> (usize, usize) {
        let start = self.ptr as usize;
        (start, start + self.len * self.kind.size())
    }

    /// True when the two views share at least one byte.
    pub fn overlaps(&self, other: &RawView) -> bool {
        let (a0, a1) = self.byte_range();
        let (b0, b1) = other.byte_range();
        a0 < b1 && b0 < a1 && a0 != a1 && b0 != b1
    }

    /// Checks the element type and turns the view into a typed slice handle.
    pub fn typed<T: Elem>(self, name: &str) -> Result<SharedSlice<T>, String> {
        // A Uint8ClampedArray (canvas ImageData) holds the same bytes as a Uint8Array.
        let same_bytes = T::KIND == ElemKind::U8 && self.kind == ElemKind::U8Clamped;
        if self.kind != T::KIND && !same_bytes {
            return Err(format!(
                "{name} must be a {}, got a {:?} view",
                T::JS_NAME,
                self.kind
            ));
        }
        if self.len > 0 && !(self.ptr as usize).is_multiple_of(std::mem::align_of::<T>()) {
            return Err(format!("{name} is not aligned for {}", T::JS_NAME));
        }
        Ok(SharedSlice {
            ptr: self.ptr.cast(),
            len: self.len,
            _marker: PhantomData,
        })
    }
}

impl TypeName for RawView {
    fn type_name() -> &'static str {
        "TypedArray"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for RawView {}

impl FromNapiValue for RawView {
    /// Reads a typed array's address, length and element type (napi's `#[napi]` glue calls
    /// this for the `views` argument of `NativeThreadPool.submit` and `NativeProcessPool.submit`).
    ///
    /// # Safety
    /// `env` and `value` come from the napi callback converting its arguments. The view is then
    /// taken to satisfy the view contract (module docs), which nothing here can check: it rests
    /// on the JavaScript caller, the facade, which keeps items 1 and 4, and its user, who keeps
    /// 2 and 3. Calling the addon's raw exports directly skips the facade's half.
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut kind = 0;
        let mut len = 0;
        let mut data = ptr::null_mut();
        let mut buffer = ptr::null_mut();
        let mut offset = 0;
        // SAFETY: env and value come from the napi callback that is converting its arguments;
        // napi_get_typedarray_info checks the value is a typed array and fails otherwise.
        let status = unsafe {
            sys::napi_get_typedarray_info(
                env,
                value,
                &mut kind,
                &mut len,
                &mut data,
                &mut buffer,
                &mut offset,
            )
        };
        crate::napi_util::check(status, "reading a typed array")?;
        Ok(Self {
            ptr: data.cast(),
            len: if data.is_null() { 0 } else { len },
            kind: ElemKind::from_napi(kind),
        })
    }
}

/// Element types a kernel may take.
pub trait Elem: Copy + Send + Sync + 'static {
    const KIND: ElemKind;
    const JS_NAME: &'static str;
}

macro_rules! elem {
    ($t:ty, $kind:ident, $js:literal) => {
        impl Elem for $t {
            const KIND: ElemKind = ElemKind::$kind;
            const JS_NAME: &'static str = $js;
        }
    };
}
elem!(u8, U8, "Uint8Array");
elem!(u32, U32, "Uint32Array");
elem!(f64, F64, "Float64Array");

/// A typed slice of memory shared with JavaScript (or another process): a [`RawView`] whose
/// element type and alignment are checked, under the same contract.
#[derive(Debug)]
pub struct SharedSlice<T> {
    ptr: *mut T,
    len: usize,
    _marker: PhantomData<T>,
}

// SAFETY: the memory behind a SharedSlice stays mapped until the task is reported (view
// contract, item 1) whichever thread runs it, and the elements are plain numbers, so moving
// the handle to a pool thread is sound.
unsafe impl<T: Send> Send for SharedSlice<T> {}

impl<T> SharedSlice<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// # Safety
    /// The view contract (module docs) holds for these bytes while the returned slice lives:
    /// they stay mapped (1) and nobody writes them meanwhile, neither outside the task (2) nor
    /// inside it (no `&mut` from [`Self::as_mut`] over them is alive).
    pub unsafe fn as_slice(&self) -> &[T] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: ptr/len describe an aligned typed-array region (checked in `typed`) that
        // stays mapped (item 1), and the caller guarantees that nobody writes it meanwhile.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// # Safety
    /// The view contract holds for these bytes while the returned slice lives (1: mapped;
    /// 2, 3: nobody outside the task reads or writes them), and no other slice over any of
    /// them is alive meanwhile: no other view of the task overlaps this one (4, checked by
    /// `prepare`) and this is the only call for it until the slice is dropped.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn as_mut(&self) -> &mut [T] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: as in `as_slice`, plus exclusivity guaranteed by the caller.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}
