//! Running a case with a policy reached through its C-ABI table: the reference's (in the grader) or a student's
//! (in the worker). Both take exactly this path, so golden and student traces differ only by the policy.

use schedgrade_contract::abi::AbiTable;
use schedgrade_contract::client::{HookFault, PolicyInstance};

use crate::case::Case;
use crate::sim::{ProcessStats, RunEnd, SimResult, Totals, simulate};
use crate::trace::TraceSink;

/// Creates the policy from `table` and runs `case` with it. A failure to create the policy (a panic or `todo!()`
/// in `new`, or a rejected configuration) ends the run at time 0 like any other fault.
pub fn run_case(case: &Case, table: &'static AbiTable, sink: &mut dyn TraceSink) -> SimResult {
    // SAFETY: tables handed to this function come from the reference or from a library that is never unloaded.
    match unsafe { PolicyInstance::create(table, &case.scheduler) } {
        Ok(policy) => simulate(case, policy, sink),
        Err(fault) => not_started(case, fault),
    }
}

fn not_started(case: &Case, fault: HookFault) -> SimResult {
    SimResult {
        end: RunEnd::Faulted { time: 0, fault },
        processes: case
            .processes
            .iter()
            .map(|p| ProcessStats { arrival: p.arrival, first_run: None, completion: None, cpu_time: 0, waiting: 0 })
            .collect(),
        totals: Totals::default(),
    }
}
