//! native-parallel: native thread pools, process pools and cluster for Node.js.
//!
//! This file is the module map only; each capability lives in its own folder.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(unreachable_pub, missing_debug_implementations)]

mod cluster;
mod core;
pub mod kernels;
mod napi_util;
mod pool;
mod process_pool;
mod shm;
mod sys;
mod worker_pool;
