//! `spin`: busy-waits for a number of microseconds; a task of controlled length.

use std::time::{Duration, Instant};

use super::Kernel;
use super::{Cancelled, Ctx, Job, Params, RawView};

/// Longest spin accepted: one hour.
const MAX_MICROS: usize = 3_600_000_000;

struct Spin {
    micros: u64,
}

impl Job for Spin {
    fn run(&mut self, ctx: &Ctx<'_>) -> Result<f64, Cancelled> {
        spin(Duration::from_micros(self.micros), ctx)?;
        Ok(0.0)
    }
}

/// Busy-waits for `length`, polling the cancel flag every iteration.
fn spin(length: Duration, ctx: &Ctx<'_>) -> Result<(), Cancelled> {
    let start = Instant::now();
    while start.elapsed() < length {
        ctx.check()?;
        std::hint::spin_loop();
    }
    Ok(())
}

/// `spin`: `[micros]`, no views.
pub static KERNEL: Kernel = Kernel {
    name: "spin",
    prepare,
    outputs: &[],
    limits: &[("micros", MAX_MICROS as f64)],
};

pub(super) fn prepare(params: &Params<'_>, _views: Vec<RawView>) -> Result<Box<dyn Job>, String> {
    let micros = params.usize(0, "micros", MAX_MICROS)? as u64;
    Ok(Box::new(Spin { micros }))
}
