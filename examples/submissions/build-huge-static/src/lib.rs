//! Fixture: a 2 GiB non-zero `static`, which once made the compiler use 4.7 GB of memory and leave a 2 GiB object
//! file in the build cache. Expected verdict: `build-failed`, saying the compiler ran out of memory: the build's
//! memory limit stops the constant evaluator at its first allocation, in a fraction of a second.
#[used]
#[unsafe(no_mangle)]
pub static HUGE: [u8; 2048 << 20] = [7; 2048 << 20];

schedgrade_contract::export_schedulers! {}
