//! TODO(skeleton): filled in by the owning change.
pub fn main() -> i32 { 0 }
