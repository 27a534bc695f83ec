//! TODO(skeleton): filled in by the owning change.
