//! Loading test cases: YAML → validated [`Case`].

mod model;

pub use model::{Burst, Case, Expectations, Machine, ProcessSpec, SwitchCost, Ties};

/// Placeholder until the YAML loader lands.
pub fn load_case(path: &std::path::Path) -> Result<Case, String> {
    Err(format!("cannot load `{}` yet", path.display()))
}
