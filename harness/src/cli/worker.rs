//! The hidden `schedgrade __worker LIBRARY` subcommand: one test in a sandboxed worker process.

use std::ffi::OsString;

use crate::grade::protocol::{WorkerRequest, respond};
use crate::sandbox::WorkerError;
use crate::worker::worker_entry;
use schedgrade_contract::abi::{ABI_VERSION, AbiTable};

pub fn main(args: &[OsString]) -> ! {
    worker_entry(args, |context| {
        let request: WorkerRequest = serde_json::from_slice(&context.payload).map_err(|e| WorkerError {
            kind: "bad-payload".into(),
            message: format!("cannot decode the request: {e}"),
        })?;
        let table_fn = context.library.table_fn();
        let response = respond(&request, |policy| {
            // SAFETY: the library stays loaded for the life of the process; calling its exported function is
            // what the worker exists for, inside the sandbox.
            let table: &'static AbiTable = unsafe { table_fn(policy as u32).as_ref() }?;
            (table.abi_version == ABI_VERSION && table.policy == policy as u32).then_some(table)
        });
        serde_json::to_vec(&response).map_err(|e| WorkerError { kind: "encode".into(), message: e.to_string() })
    })
}
