//! OS machinery shared by the capabilities that supervise processes.
//!
//! - [`poll`]: `poll(2)` for the threads that watch children (the ProcessPool's supervisor,
//!   the cluster's spawner), with one policy for its failures.

pub(crate) mod poll;
