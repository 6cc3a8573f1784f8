//! Internal kernels used by the test suite only (their names start with `__`).

use super::Kernel;
use super::{Cancelled, Ctx, Job, Params, RawView};

struct Panic;

impl Job for Panic {
    fn run(&mut self, _ctx: &Ctx<'_>) -> Result<f64, Cancelled> {
        panic!("__panic kernel: deliberate panic for tests");
    }
}

/// `__panic`: panics when it runs.
pub static KERNEL: Kernel = Kernel {
    name: "__panic",
    prepare,
    outputs: &[],
    limits: &[],
};

pub(super) fn prepare(
    _params: &Params<'_>,
    _views: Vec<RawView>,
) -> Result<Box<dyn Job>, String> {
    Ok(Box::new(Panic))
}
