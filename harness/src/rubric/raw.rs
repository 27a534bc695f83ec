//! `grading.yaml` as written (positioned, lenient scalars), and its JSON Schema.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::case::{Any, Sp};

/// How a course's assignment is graded: resource limits and suites of test cases with their points.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "schedgrade grading rubric", rename = "Rubric")]
pub(crate) struct RawRubric {
    /// Optional: the total number of points. When given, the suites' points must add up to it.
    #[schemars(with = "Option<f64>", range(min = 0.0))]
    pub total: Option<Sp<Any>>,
    /// Resource limits. Every key is optional.
    pub limits: Option<Sp<RawLimits>>,
    /// The suites, each a group of test cases worth some points.
    #[schemars(with = "Vec<RawSuite>", length(min = 1))]
    pub suites: Option<Sp<Vec<Sp<RawSuite>>>>,
}

/// Resource limits, per test unless noted.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Limits")]
pub(crate) struct RawLimits {
    /// CPU time per test in milliseconds. Default 2000.
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub cpu_ms: Option<Sp<Any>>,
    /// Wall-clock time per test in milliseconds. Default 5000.
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub wall_ms: Option<Sp<Any>>,
    /// Memory per test in MiB. Default 512.
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub memory_mib: Option<Sp<Any>>,
    /// Output (trace) size per test in KiB. Default 64.
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub output_kib: Option<Sp<Any>>,
    /// Time to build one submission, in seconds. Default 120.
    #[schemars(with = "Option<u64>", range(min = 1))]
    pub build_seconds: Option<Sp<Any>>,
}

/// A group of test cases graded together.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Suite")]
pub(crate) struct RawSuite {
    /// Unique name: letters, digits, `_`, `.` and `-`.
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z0-9_.-]+$"))]
    pub name: Option<Sp<Any>>,
    /// The policy the suite targets: every case's `scheduler.policy` must be this one. Optional.
    #[schemars(with = "Option<crate::case::PolicyNameSchema>")]
    pub policy: Option<Sp<Any>>,
    /// Globs of case files, relative to the directory of `grading.yaml`: `*` and `?` within a path segment, `**`
    /// for any number of directories. Only `*.yaml` files count.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub cases: Option<Sp<Vec<Sp<Any>>>>,
    /// Points the suite is worth.
    #[schemars(with = "f64")]
    pub points: Option<Sp<Any>>,
    /// `per-test` (the default): points are shared among the cases passed. `all-or-nothing`: all points only if
    /// every case passes.
    #[schemars(with = "Option<ScoringName>")]
    pub scoring: Option<Sp<Any>>,
    /// Who sees the suite's results: `visible` (the default), `hidden`, or `after_due_date`.
    #[schemars(with = "Option<VisibilityName>")]
    pub visibility: Option<Sp<Any>>,
    /// Suites that must pass completely for this one to count.
    #[schemars(with = "Option<Vec<String>>")]
    pub depends_on: Option<Sp<Vec<Sp<Any>>>>,
}

/// How a suite's points are awarded.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) enum ScoringName {
    /// Points shared among the cases passed. The default.
    #[serde(rename = "per-test")]
    PerTest,
    /// All points only if every case passes.
    #[serde(rename = "all-or-nothing")]
    AllOrNothing,
}

/// Who sees a suite's results.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum VisibilityName {
    /// Students see results when they submit. The default.
    Visible,
    /// Students never see the results (instructors do).
    Hidden,
    /// Students see the results after the due date.
    AfterDueDate,
}

pub(crate) const SECTIONS: &[(&str, &[&str])] = &[
    ("the rubric", &["total", "limits", "suites"]),
    ("`limits`", &["cpu_ms", "wall_ms", "memory_mib", "output_kib", "build_seconds"]),
    ("a suite", &["name", "policy", "cases", "points", "scoring", "visibility", "depends_on"]),
];

pub(crate) fn key_hint(key: &str) -> Option<String> {
    let hint = match key {
        "total" => "the total number of points, e.g. `total: 100`",
        "limits" => "write e.g. `limits: { cpu_ms: 2000, wall_ms: 5000 }`",
        "suites" => {
            "write a list of suites, e.g. `suites: [{ name: fcfs, cases: [\"testcases/fcfs/*.yaml\"], points: 10 }]`"
        }
        "cpu_ms" | "wall_ms" => "milliseconds per test, e.g. `cpu_ms: 2000`",
        "memory_mib" => "MiB per test, e.g. `memory_mib: 512`",
        "output_kib" => "KiB of output per test, e.g. `output_kib: 64`",
        "build_seconds" => "seconds to build one submission, e.g. `build_seconds: 120`",
        "name" => "names use letters, digits, `_`, `.` and `-`, e.g. `name: fcfs-basic`",
        "policy" => "the policy of the suite's cases, e.g. `policy: fcfs`",
        "cases" => "a list of globs relative to grading.yaml, e.g. `cases: [\"testcases/fcfs/*.yaml\"]`",
        "points" => "the points the suite is worth, e.g. `points: 10`",
        "scoring" => "write `per-test` (the default) or `all-or-nothing`",
        "visibility" => "write `visible` (the default), `hidden` or `after_due_date`",
        "depends_on" => "a list of suite names, e.g. `depends_on: [fcfs]`",
        _ => return None,
    };
    Some(hint.to_string())
}
