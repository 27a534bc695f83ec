//! Student template.
