//! Reference schedulers (written against the student contract).
