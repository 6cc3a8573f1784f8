//! Typed-array views handed from JavaScript to native kernels.
//!
//! A [`RawView`] is read with `napi_get_typedarray_info` on the JS thread. It is only a
//! pointer and a length: the JavaScript facade (`lib/thread-pool.js`) keeps the backing
//! `SharedArrayBuffer` (or `SharedMemory`) alive until the task settles, and never hands
//! native code a view over a plain `ArrayBuffer` (those are copied into shared memory first),
//! so the memory cannot be detached or freed while a kernel holds it.

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

/// A pointer and length read from a JavaScript typed array.
#[derive(Debug, Clone, Copy)]
pub struct RawView {
    ptr: *mut u8,
    len: usize,
    kind: ElemKind,
}

// SAFETY: a RawView is plain data (an address and a length); it is only dereferenced through
// `SharedSlice`, whose constructor states the aliasing and lifetime contract.
unsafe impl Send for RawView {}

impl RawView {
    /// A view over memory owned by Rust, for tests and the process pool.
    pub fn from_slice<T: Elem>(data: &mut [T]) -> Self {
        Self {
            ptr: data.as_mut_ptr().cast(),
            len: data.len(),
            kind: T::KIND,
        }
    }

    /// A view over `len` elements of `kind` at `ptr` (memory shared with another process, or
    /// a copy-on-write snapshot of the parent's). Making one is safe; reading through it goes
    /// through [`SharedSlice`], whose accessors state the contract.
    pub fn from_raw(ptr: *mut u8, len: usize, kind: ElemKind) -> Self {
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

/// A typed slice of memory shared with JavaScript (or another process).
#[derive(Debug)]
pub struct SharedSlice<T> {
    ptr: *mut T,
    len: usize,
    _marker: PhantomData<T>,
}

// SAFETY: the memory behind a SharedSlice is shared memory (SharedArrayBuffer or
// SharedMemory) that stays mapped for the task's lifetime (see the module docs); the
// elements are plain numbers, so moving the handle to a pool thread is sound.
unsafe impl<T: Send> Send for SharedSlice<T> {}

impl<T> SharedSlice<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// # Safety
    /// The memory must stay mapped for the lifetime of the returned slice and must not be
    /// written by anyone else meanwhile (the facade keeps it alive until the task settles
    /// and refuses views that overlap an output).
    pub unsafe fn as_slice(&self) -> &[T] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: ptr/len describe a live, aligned typed-array region (checked in `typed`),
        // and the caller upholds the no-concurrent-writer contract.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// # Safety
    /// As for [`SharedSlice::as_slice`], and no other slice over these bytes may be alive
    /// while the returned one is (kernels check outputs do not overlap inputs).
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn as_mut(&self) -> &mut [T] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: as above, plus exclusivity guaranteed by the caller.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}
