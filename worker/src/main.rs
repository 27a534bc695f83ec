//! `schedgrade-worker`: one test in a sandboxed worker process. Started only by the grader (see
//! [`schedgrade_worker::worker_entry`] for what it expects on stdin, fd 3 and fd 4).

use schedgrade_contract::abi::{ABI_VERSION, AbiTable};
use schedgrade_kernel::protocol::{prepare, respond};
use schedgrade_kernel::wire::WorkerError;
use schedgrade_worker::worker_entry;

fn main() {
    worker_entry(
        |payload| prepare(&payload).map_err(|message| WorkerError { kind: "bad-payload".into(), message }),
        |prepared, context| {
            let table_fn = context.library.table_fn();
            let response = respond(&prepared, |policy| {
                // SAFETY: the library stays loaded for the life of the process; calling its exported function is
                // what the worker exists for, inside the sandbox.
                let table: &'static AbiTable = unsafe { table_fn(policy as u32).as_ref() }?;
                (table.abi_version == ABI_VERSION && table.policy == policy as u32).then_some(table)
            });
            serde_json::to_vec(&response).expect("a response always serialises")
        },
    )
}
