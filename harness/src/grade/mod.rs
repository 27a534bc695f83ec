//! Grading: plan → build → run every (submission, test) pair in a sandboxed worker → diff → score.
//!
//! | module       | concern                                                                 |
//! |--------------|-------------------------------------------------------------------------|
//! | [`plan`]     | submissions, suites, tests and golden traces, loaded up front           |
//! | [`golden`]   | reading the insta snapshots that hold the expected traces               |
//! | [`batch`]    | builds, then the parallel (submission, test) runs                       |
//! | [`execute`]  | one test in one fresh sandboxed worker                                  |
//! | [`protocol`] | the request and response exchanged with a worker                        |
//! | [`judge`]    | worker response + golden trace → verdict                                |
//! | [`score`]    | verdicts → points, with the rubric's rules                              |
//! | [`events`]   | what the runner emits for reporters (it never prints)                   |
//! | [`outcome`]  | the results handed to `report`                                          |

pub mod batch;
pub mod events;
pub mod execute;
pub mod golden;
pub mod judge;
pub mod outcome;
pub mod plan;
pub mod score;

pub use schedgrade_kernel::protocol;

pub use batch::{BatchError, BatchOptions, grade};
pub use events::{GradeEvent, Reporter, Silent};
pub use outcome::{BatchOutcome, StudentOutcome, TestOutcome};
pub use plan::{Plan, PlanError, PlannedSuite, PlannedTest, Submission, discover_submissions, plan};
pub use score::{Status, StudentScore, SuiteScore, score};
