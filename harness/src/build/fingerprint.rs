//! Fingerprints: the names of cache entries, derived from everything that decides their bytes.
//!
//! A fingerprint covers the grader's version, the compiler (`rustc -vV`: release, commit, LLVM), the flags, the
//! embedded contract and, for a library, whether it was built confined (a library built without Landlock could
//! hold a file Landlock would have refused) and every source file, path and bytes. It never covers where the
//! grader's binary or the cache lives, so every checkout and every installed copy of one grader version finds the
//! same entries. It is 128 bits: two SipHash-1-3 runs of the same input under different domain tags.
//!
//! `DefaultHasher` may change between Rust releases; a grader built by another compiler then simply names its
//! entries differently, and entries are never shared across grader versions anyway.

use std::hash::{DefaultHasher, Hash, Hasher};

use super::profile::CODEGEN;
use super::sources::SourceFile;
use super::template::contract_files;
use super::toolchain::Toolchain;

/// Bump when the way entries are built changes in a way the inputs below do not show (a new sandbox rule, a new
/// layout inside an entry).
const RECIPE: u32 = 1;

/// The fingerprint of the compiled contract.
pub(crate) fn contract(toolchain: &Toolchain) -> String {
    hex128(|hasher| {
        "contract".hash(hasher);
        common(toolchain, hasher);
        contract_files().hash(hasher);
    })
}

/// The fingerprint of a submission's library built against the contract `contract`.
pub(crate) fn library(toolchain: &Toolchain, contract: &str, confined: bool, sources: &[SourceFile]) -> String {
    hex128(|hasher| {
        "library".hash(hasher);
        common(toolchain, hasher);
        (contract, confined).hash(hasher);
        sources.len().hash(hasher);
        for file in sources {
            (&file.path, &file.contents).hash(hasher);
        }
    })
}

fn common(toolchain: &Toolchain, hasher: &mut DefaultHasher) {
    (RECIPE, env!("CARGO_PKG_VERSION"), &toolchain.version, CODEGEN).hash(hasher);
}

fn hex128(feed: impl Fn(&mut DefaultHasher)) -> String {
    let mut halves = [0u64; 2];
    for (tag, half) in halves.iter_mut().enumerate() {
        let mut hasher = DefaultHasher::new();
        tag.hash(&mut hasher);
        feed(&mut hasher);
        *half = hasher.finish();
    }
    format!("{:016x}{:016x}", halves[0], halves[1])
}
