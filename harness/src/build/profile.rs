//! How the contract and every submission are compiled: the `rustc` command lines, whatever the student ships.
//!
//! The grader runs `rustc` itself rather than cargo. A submission has exactly one dependency (the contract, which
//! has none), so cargo would only add what the sandbox has to defend against: the grader's `$CARGO_HOME` and its
//! `config.toml`, rustup's proxies, a registry, and the cargo variables (`CARGO`, `CARGO_MANIFEST_DIR`) that
//! reveal the grader's paths to `env!`. The contract is compiled once per cache into an `rlib` that every
//! submission links read-only; each submission is then one `rustc` run.
//!
//! # The profile
//!
//! The flags are chosen for the warm-build target (≤ 2 s per submission once the contract is compiled). Measured
//! on 2 shared AMD EPYC cores (load average 3–4 from other jobs, hence the ranges) with the ten-policy `good`
//! fixture, median of 8–10 fresh crates per profile, in two sessions (2026-11-23, then through cargo):
//!
//! | profile                                            | warm build  |
//! |----------------------------------------------------|------------:|
//! | `dev` as cargo ships it (debuginfo, incremental)   | 1.2–2.7 s   |
//! | **`dev`, `debug = false`, `incremental = false`**  | **0.5–1.2 s** |
//! | `dev` with `opt-level = 1`                         | 3.8–4.3 s   |
//! | `release` (`opt-level = 3`)                        | 3.2–3.9 s   |
//!
//! Optimisation costs 3–4× the build time for code that does a handful of operations per hook call, so it is off.
//! Debug info is off too: panic messages carry their `file:line:col` without it. Incremental compilation only
//! pays off for a crate rebuilt many times, and each submission is built once. Overflow checks and debug
//! assertions stay on, so an arithmetic overflow in a policy is a panic the student can find, not a silently
//! different trace. `panic=unwind` is explicit because the ABI glue relies on `catch_unwind`. One codegen unit
//! keeps each build on one core, so that `grade --jobs N` builds N submissions at once without them competing
//! for threads. These are the flags cargo passed for that profile (`cargo build -v`, cargo 1.95).

use std::ffi::OsString;
use std::path::Path;

/// The edition of the contract and of every submission (the template's `Cargo.toml` says the same).
const EDITION: &str = "--edition=2024";

/// The library name the submission's code uses for the contract (`schedgrade_contract::export_schedulers!`).
pub(crate) const CONTRACT_CRATE: &str = "schedgrade_contract";

/// The crate name of every submission. Libraries are named by their fingerprint, so one name serves everyone.
const SUBMISSION_CRATE: &str = "submission";

/// The contract's `rlib`, relative to its directory in the cache.
pub(crate) const CONTRACT_RLIB: &str = "lib/libschedgrade_contract.rlib";

/// The submission's library, relative to its build directory.
pub(crate) const SUBMISSION_LIB: &str = "out/libsubmission.so";

/// What the contract's sources are called in diagnostics and panic locations: never the cache's absolute path,
/// which differs between caches and would make reports differ.
const CONTRACT_REMAPPED: &str = "schedgrade-contract";

/// Code generation, as the `dev` profile above. Part of every library's fingerprint.
pub(crate) const CODEGEN: &[&str] = &[
    "-C",
    "opt-level=0",
    "-C",
    "debuginfo=0",
    "-C",
    "strip=debuginfo",
    "-C",
    "debug-assertions=on",
    "-C",
    "overflow-checks=on",
    "-C",
    "panic=unwind",
    "-C",
    "codegen-units=1",
    "-C",
    "embed-bitcode=no",
];

/// `rustc` arguments compiling the contract in `contract_dir` (sources in `src/`) to [`CONTRACT_RLIB`].
pub(crate) fn contract_args(contract_dir: &Path) -> Vec<OsString> {
    let mut args = common(CONTRACT_CRATE, "rlib");
    args.push(contract_dir.join("src/lib.rs").into());
    args.push("-o".into());
    args.push(contract_dir.join(CONTRACT_RLIB).into());
    args.push(remap(contract_dir));
    args
}

/// `rustc` arguments compiling the submission in the current directory (`src/lib.rs`) to [`SUBMISSION_LIB`],
/// against the compiled contract in `contract_dir`. Paths stay relative, so diagnostics and panic locations say
/// `src/lib.rs`, never the build directory.
pub(crate) fn submission_args(contract_dir: &Path) -> Vec<OsString> {
    let mut args = common(SUBMISSION_CRATE, "cdylib");
    args.extend(["src/lib.rs", "-o", SUBMISSION_LIB].map(OsString::from));
    let mut extern_arg = OsString::from(format!("{CONTRACT_CRATE}="));
    extern_arg.push(contract_dir.join(CONTRACT_RLIB));
    args.push("--extern".into());
    args.push(extern_arg);
    args.push(remap(contract_dir));
    args
}

fn common(crate_name: &str, crate_type: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> =
        ["--crate-name", crate_name, "--crate-type", crate_type, EDITION, "--error-format=json"]
            .map(OsString::from)
            .to_vec();
    args.extend(CODEGEN.iter().map(OsString::from));
    args
}

fn remap(contract_dir: &Path) -> OsString {
    let mut arg = OsString::from("--remap-path-prefix=");
    arg.push(contract_dir);
    arg.push(format!("={CONTRACT_REMAPPED}"));
    arg
}

/// The `src/lib.rs` of the canary built right after the contract: it proves the toolchain can link a `cdylib`
/// against it before any submission is blamed for a failure.
pub(crate) const CANARY_LIB: &str = "schedgrade_contract::export_schedulers! {}\n";
