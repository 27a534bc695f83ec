//! The grader's side of the ABI: calling a policy through its [`AbiTable`].
//!
//! [`PolicyInstance`] turns each table call back into a Rust `Result`. A [`HookFault`] means the *policy* failed
//! (it panicked, is not implemented, rejected its configuration, or answered with an unknown status); the kernel
//! turns it into a verdict.

use std::ffi::c_void;
use std::fmt;

use crate::abi::{AbiConfigStorage, AbiKernel, AbiMessage, AbiPcb, AbiStatus, AbiTable, NONE_U32, NONE_U64};
use crate::config::SchedulerConfig;
use crate::pcb::{CpuId, Pcb, Pid, ReadyReason, Tick};

/// The hooks of [`crate::Scheduler`], by their stable names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    New,
    OnReady,
    PickNext,
    TimeSlice,
    ShouldPreempt,
    OnBlock,
    OnExit,
    TimerPeriod,
    OnTimer,
    QueueLevel,
}

impl Hook {
    /// The hook's name as written in the trait.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::New => "new",
            Hook::OnReady => "on_ready",
            Hook::PickNext => "pick_next",
            Hook::TimeSlice => "time_slice",
            Hook::ShouldPreempt => "should_preempt",
            Hook::OnBlock => "on_block",
            Hook::OnExit => "on_exit",
            Hook::TimerPeriod => "timer_period",
            Hook::OnTimer => "on_timer",
            Hook::QueueLevel => "queue_level",
        }
    }
}

/// How a hook call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookFaultKind {
    /// The hook panicked.
    Panicked,
    /// The hook reached `todo!()` or `unimplemented!()`.
    NotImplemented,
    /// `new` returned `Err`.
    Rejected,
    /// The library could not decode what the grader sent, or answered with a status this ABI does not define.
    Protocol,
}

/// A failed hook call: which hook, how, and the policy's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookFault {
    pub hook: Hook,
    pub kind: HookFaultKind,
    pub message: String,
}

impl fmt::Display for HookFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            HookFaultKind::Panicked => "panicked",
            HookFaultKind::NotImplemented => "is not implemented",
            HookFaultKind::Rejected => "rejected the configuration",
            HookFaultKind::Protocol => "broke the ABI protocol",
        };
        write!(f, "`{}` {what}: {}", self.hook.as_str(), self.message)
    }
}

const MESSAGE_CAPACITY: usize = 4096;

/// A live policy inside a loaded library (or linked crate), called through its table.
pub struct PolicyInstance {
    table: &'static AbiTable,
    state: *mut c_void,
    message: Vec<u8>,
}

impl PolicyInstance {
    /// Creates the policy by calling the table's `create`.
    ///
    /// # Safety
    /// `table` must be a table whose functions follow the ABI rules and stay loaded for the program's lifetime
    /// (the grader never unloads a library).
    pub unsafe fn create(table: &'static AbiTable, config: &SchedulerConfig) -> Result<PolicyInstance, HookFault> {
        let storage = AbiConfigStorage::new(config);
        let abi = storage.as_abi();
        let mut instance = PolicyInstance { table, state: std::ptr::null_mut(), message: vec![0; MESSAGE_CAPACITY] };
        let mut state = std::ptr::null_mut();
        let status = instance.call(Hook::New, |msg| {
            // SAFETY: `abi` and its storage outlive the call; `state` is writable.
            unsafe { (table.create)(&abi, &mut state, msg) }
        });
        status?;
        instance.state = state;
        Ok(instance)
    }

    fn call(&mut self, hook: Hook, f: impl FnOnce(*mut AbiMessage) -> u32) -> Result<(), HookFault> {
        let mut msg = AbiMessage { buf: self.message.as_mut_ptr(), cap: self.message.len(), len: 0 };
        let status = f(&mut msg);
        if status == AbiStatus::OK {
            return Ok(());
        }
        let len = msg.len.min(self.message.len());
        let text = String::from_utf8_lossy(&self.message[..len]).into_owned();
        let (kind, message) = match status {
            AbiStatus::PANICKED => (HookFaultKind::Panicked, text),
            AbiStatus::NOT_IMPLEMENTED => (HookFaultKind::NotImplemented, text),
            AbiStatus::REJECTED => (HookFaultKind::Rejected, text),
            AbiStatus::BAD_INPUT => (HookFaultKind::Protocol, text),
            other => (HookFaultKind::Protocol, format!("unknown status {other}")),
        };
        Err(HookFault { hook, kind, message })
    }

    /// Calls `on_ready`.
    pub fn on_ready(&mut self, kernel: &AbiKernel, pcb: &Pcb, reason: ReadyReason) -> Result<(), HookFault> {
        let (table, state, pcb) = (self.table, self.state, AbiPcb::from_pcb(pcb));
        // SAFETY: `state` came from this table's `create`; all pointers are valid for the call.
        self.call(Hook::OnReady, |msg| unsafe { (table.on_ready)(state, kernel, &pcb, reason as u32, msg) })
    }

    /// Calls `pick_next`.
    pub fn pick_next(&mut self, kernel: &AbiKernel, cpu: CpuId) -> Result<Option<Pid>, HookFault> {
        let (table, state, mut out) = (self.table, self.state, NONE_U32);
        // SAFETY: as in `on_ready`.
        self.call(Hook::PickNext, |msg| unsafe { (table.pick_next)(state, kernel, cpu.0, &mut out, msg) })?;
        Ok((out != NONE_U32).then_some(Pid(out)))
    }

    /// Calls `time_slice`; `Ok(None)` means "until the burst ends".
    pub fn time_slice(&mut self, kernel: &AbiKernel, pcb: &Pcb) -> Result<Option<Tick>, HookFault> {
        let (table, state, pcb, mut out) = (self.table, self.state, AbiPcb::from_pcb(pcb), NONE_U64);
        // SAFETY: as in `on_ready`.
        self.call(Hook::TimeSlice, |msg| unsafe { (table.time_slice)(state, kernel, &pcb, &mut out, msg) })?;
        Ok((out != NONE_U64).then_some(out))
    }

    /// Calls `should_preempt`.
    pub fn should_preempt(&mut self, kernel: &AbiKernel, newcomer: &Pcb, running: &Pcb) -> Result<bool, HookFault> {
        let (table, state) = (self.table, self.state);
        let (newcomer, running, mut out) = (AbiPcb::from_pcb(newcomer), AbiPcb::from_pcb(running), 0u8);
        // SAFETY: as in `on_ready`.
        self.call(Hook::ShouldPreempt, |msg| unsafe {
            (table.should_preempt)(state, kernel, &newcomer, &running, &mut out, msg)
        })?;
        Ok(out != 0)
    }

    /// Calls `on_block`.
    pub fn on_block(&mut self, kernel: &AbiKernel, pcb: &Pcb) -> Result<(), HookFault> {
        let (table, state, pcb) = (self.table, self.state, AbiPcb::from_pcb(pcb));
        // SAFETY: as in `on_ready`.
        self.call(Hook::OnBlock, |msg| unsafe { (table.on_block)(state, kernel, &pcb, msg) })
    }

    /// Calls `on_exit`.
    pub fn on_exit(&mut self, kernel: &AbiKernel, pcb: &Pcb) -> Result<(), HookFault> {
        let (table, state, pcb) = (self.table, self.state, AbiPcb::from_pcb(pcb));
        // SAFETY: as in `on_ready`.
        self.call(Hook::OnExit, |msg| unsafe { (table.on_exit)(state, kernel, &pcb, msg) })
    }

    /// Calls `timer_period`.
    pub fn timer_period(&mut self) -> Result<Option<Tick>, HookFault> {
        let (table, state, mut out) = (self.table, self.state, NONE_U64);
        // SAFETY: as in `on_ready`.
        self.call(Hook::TimerPeriod, |msg| unsafe { (table.timer_period)(state, &mut out, msg) })?;
        Ok((out != NONE_U64).then_some(out))
    }

    /// Calls `on_timer`.
    pub fn on_timer(&mut self, kernel: &AbiKernel) -> Result<bool, HookFault> {
        let (table, state, mut out) = (self.table, self.state, 0u8);
        // SAFETY: as in `on_ready`.
        self.call(Hook::OnTimer, |msg| unsafe { (table.on_timer)(state, kernel, &mut out, msg) })?;
        Ok(out != 0)
    }
}

impl PolicyInstance {
    /// Calls `queue_level`.
    pub fn queue_level(&mut self, pid: Pid) -> Result<Option<u32>, HookFault> {
        let (table, state, mut out) = (self.table, self.state, NONE_U32);
        // SAFETY: as in `on_ready`.
        self.call(Hook::QueueLevel, |msg| unsafe { (table.queue_level)(state, pid.0, &mut out, msg) })?;
        Ok((out != NONE_U32).then_some(out))
    }
}

impl Drop for PolicyInstance {
    fn drop(&mut self) {
        // SAFETY: `state` came from this table's `create` (or is null, which `destroy` ignores).
        unsafe { (self.table.destroy)(self.state) }
    }
}
