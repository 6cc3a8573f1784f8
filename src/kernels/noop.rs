//! `noop`: does nothing; measures dispatch cost.

use super::Kernel;
use super::{Cancelled, Ctx, Job, Params, RawView};

struct Noop;

impl Job for Noop {
    fn run(&mut self, _ctx: &Ctx<'_>) -> Result<f64, Cancelled> {
        Ok(0.0)
    }
}

/// `noop`: no parameters, no views.
pub static KERNEL: Kernel = Kernel {
    name: "noop",
    prepare,
    outputs: &[],
    limits: &[],
};

pub(super) fn prepare(_params: &Params<'_>, _views: Vec<RawView>) -> Result<Box<dyn Job>, String> {
    Ok(Box::new(Noop))
}
