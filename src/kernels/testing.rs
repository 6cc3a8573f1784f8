//! Internal kernels used by the test suite only (their names start with `__`).

use super::{Cancelled, Ctx, Job, Params, RawView};

struct Panic;

impl Job for Panic {
    fn run(&mut self, _ctx: &Ctx<'_>) -> Result<f64, Cancelled> {
        panic!("__panic kernel: deliberate panic for tests");
    }
}

pub(super) fn prepare_panic(
    _params: &Params<'_>,
    _views: Vec<RawView>,
) -> Result<Box<dyn Job>, String> {
    Ok(Box::new(Panic))
}
