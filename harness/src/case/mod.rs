//! Loading test cases: YAML → validated [`Case`].

mod model;

pub use model::{Burst, Case, Expectations, Machine, ProcessSpec, SwitchCost, Ties};
