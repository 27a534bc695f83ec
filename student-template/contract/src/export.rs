//! The submission side of the ABI: glue that turns a [`Scheduler`] into an [`AbiTable`].
//!
//! Students never call this directly; [`crate::export_schedulers!`] does. Each glue function decodes its inputs,
//! calls the hook inside `catch_unwind`, and encodes the outcome as an [`AbiStatus`].

use std::any::Any;
use std::cell::RefCell;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::abi::{ABI_VERSION, AbiConfig, AbiKernel, AbiMessage, AbiPcb, AbiStatus, AbiTable, NONE_U32, NONE_U64};
use crate::config::PolicyKind;
use crate::pcb::{CpuId, Pcb, ReadyReason};
use crate::scheduler::{Kernel, Scheduler};

/// The function table for policy type `S`, registered as policy `kind`.
pub const fn table<S: Scheduler>(kind: PolicyKind) -> AbiTable {
    AbiTable {
        abi_version: ABI_VERSION,
        policy: kind as u32,
        create: create::<S>,
        destroy: destroy::<S>,
        on_ready: on_ready::<S>,
        pick_next: pick_next::<S>,
        time_slice: time_slice::<S>,
        should_preempt: should_preempt::<S>,
        on_block: on_block::<S>,
        on_exit: on_exit::<S>,
        timer_period: timer_period::<S>,
        on_timer: on_timer::<S>,
        queue_level: queue_level::<S>,
    }
}

struct Fault {
    status: u32,
    message: String,
}

fn bad_input(what: &str) -> Fault {
    Fault { status: AbiStatus::BAD_INPUT, message: format!("the grader passed an undecodable {what}") }
}

thread_local! {
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records where a panic happened, so the message can say `at src/rr.rs:41:9`. The previous hook still runs, so
/// the usual panic line reaches stderr too.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            PANIC_LOCATION.with(|cell| *cell.borrow_mut() = location);
            previous(info);
        }));
    });
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// `todo!()` and `unimplemented!()` produce exactly these messages (optionally followed by `: detail`).
fn is_not_implemented(text: &str) -> bool {
    ["not yet implemented", "not implemented"]
        .iter()
        .any(|prefix| text == *prefix || text.starts_with(&format!("{prefix}: ")))
}

/// Runs `body`, catching panics, and reports the outcome through `msg`.
///
/// # Safety
/// `msg` must be a valid `AbiMessage` with a writable buffer.
unsafe fn guard(msg: *mut AbiMessage, body: impl FnOnce() -> Result<(), Fault>) -> u32 {
    install_panic_hook();
    let fault = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return AbiStatus::OK,
        Ok(Err(fault)) => fault,
        Err(payload) => {
            let text = panic_text(payload.as_ref());
            let location = PANIC_LOCATION.with(|cell| cell.borrow_mut().take());
            let status = if is_not_implemented(&text) { AbiStatus::NOT_IMPLEMENTED } else { AbiStatus::PANICKED };
            let message = match location {
                Some(location) => format!("{text} (at {location})"),
                None => text,
            };
            Fault { status, message }
        }
    };
    // SAFETY: guaranteed by the caller.
    unsafe { (*msg).write(&fault.message) };
    fault.status
}

/// # Safety
/// `state` must come from `create::<S>`, and no other reference to it may be live.
unsafe fn state_mut<'a, S>(state: *mut c_void) -> &'a mut S {
    // SAFETY: guaranteed by the caller.
    unsafe { &mut *(state as *mut S) }
}

/// # Safety
/// `kernel` must point to a valid `AbiKernel` for `'a`.
unsafe fn kernel_view<'a>(kernel: *const AbiKernel) -> Kernel<'a> {
    // SAFETY: guaranteed by the caller.
    unsafe { Kernel::from_abi(&*kernel) }
}

/// # Safety
/// `pcb` must point to a valid `AbiPcb`.
unsafe fn decode_pcb(pcb: *const AbiPcb) -> Result<Pcb, Fault> {
    // SAFETY: guaranteed by the caller.
    unsafe { &*pcb }.to_pcb().ok_or_else(|| bad_input("process state"))
}

unsafe extern "C" fn create<S: Scheduler>(
    config: *const AbiConfig,
    state: *mut *mut c_void,
    msg: *mut AbiMessage,
) -> u32 {
    // SAFETY: the caller passes valid pointers (ABI rule 4).
    unsafe {
        guard(msg, || {
            let config = (*config).to_config().map_err(|e| bad_input(&e))?;
            let policy = S::new(&config).map_err(|reason| Fault { status: AbiStatus::REJECTED, message: reason })?;
            *state = Box::into_raw(Box::new(policy)) as *mut c_void;
            Ok(())
        })
    }
}

unsafe extern "C" fn destroy<S: Scheduler>(state: *mut c_void) {
    if state.is_null() {
        return;
    }
    // A panicking Drop must not unwind into the grader; there is nobody left to report it to.
    // SAFETY: `state` came from `create::<S>` and is destroyed once.
    let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(state as *mut S) })));
}

unsafe extern "C" fn on_ready<S: Scheduler>(
    state: *mut c_void,
    kernel: *const AbiKernel,
    pcb: *const AbiPcb,
    reason: u32,
    msg: *mut AbiMessage,
) -> u32 {
    // SAFETY: the caller passes valid pointers.
    unsafe {
        guard(msg, || {
            let pcb = decode_pcb(pcb)?;
            let reason = ReadyReason::from_u32(reason).ok_or_else(|| bad_input("ready reason"))?;
            state_mut::<S>(state).on_ready(&kernel_view(kernel), &pcb, reason);
            Ok(())
        })
    }
}

unsafe extern "C" fn pick_next<S: Scheduler>(
    state: *mut c_void,
    kernel: *const AbiKernel,
    cpu: u32,
    out: *mut u32,
    msg: *mut AbiMessage,
) -> u32 {
    // SAFETY: the caller passes valid pointers.
    unsafe {
        guard(msg, || {
            let pick = state_mut::<S>(state).pick_next(&kernel_view(kernel), CpuId(cpu));
            *out = pick.map_or(NONE_U32, |pid| pid.0);
            Ok(())
        })
    }
}

unsafe extern "C" fn time_slice<S: Scheduler>(
    state: *mut c_void,
    kernel: *const AbiKernel,
    pcb: *const AbiPcb,
    out: *mut u64,
    msg: *mut AbiMessage,
) -> u32 {
    // SAFETY: the caller passes valid pointers.
    unsafe {
        guard(msg, || {
            let pcb = decode_pcb(pcb)?;
            // `Some(u64::MAX)` would read as "unlimited" on the other side, which is what it means anyway.
            *out = state_mut::<S>(state).time_slice(&kernel_view(kernel), &pcb).unwrap_or(NONE_U64);
            Ok(())
        })
    }
}

unsafe extern "C" fn should_preempt<S: Scheduler>(
    state: *mut c_void,
    kernel: *const AbiKernel,
    newcomer: *const AbiPcb,
    running: *const AbiPcb,
    out: *mut u8,
    msg: *mut AbiMessage,
) -> u32 {
    // SAFETY: the caller passes valid pointers.
    unsafe {
        guard(msg, || {
            let (newcomer, running) = (decode_pcb(newcomer)?, decode_pcb(running)?);
            *out = state_mut::<S>(state).should_preempt(&kernel_view(kernel), &newcomer, &running) as u8;
            Ok(())
        })
    }
}

unsafe extern "C" fn on_block<S: Scheduler>(
    state: *mut c_void,
    kernel: *const AbiKernel,
    pcb: *const AbiPcb,
    msg: *mut AbiMessage,
) -> u32 {
    // SAFETY: the caller passes valid pointers.
    unsafe {
        guard(msg, || {
            let pcb = decode_pcb(pcb)?;
            state_mut::<S>(state).on_block(&kernel_view(kernel), &pcb);
            Ok(())
        })
    }
}

unsafe extern "C" fn on_exit<S: Scheduler>(
    state: *mut c_void,
    kernel: *const AbiKernel,
    pcb: *const AbiPcb,
    msg: *mut AbiMessage,
) -> u32 {
    // SAFETY: the caller passes valid pointers.
    unsafe {
        guard(msg, || {
            let pcb = decode_pcb(pcb)?;
            state_mut::<S>(state).on_exit(&kernel_view(kernel), &pcb);
            Ok(())
        })
    }
}

unsafe extern "C" fn timer_period<S: Scheduler>(state: *mut c_void, out: *mut u64, msg: *mut AbiMessage) -> u32 {
    // SAFETY: the caller passes valid pointers.
    unsafe {
        guard(msg, || {
            *out = state_mut::<S>(state).timer_period().unwrap_or(NONE_U64);
            Ok(())
        })
    }
}

unsafe extern "C" fn on_timer<S: Scheduler>(
    state: *mut c_void,
    kernel: *const AbiKernel,
    out: *mut u8,
    msg: *mut AbiMessage,
) -> u32 {
    // SAFETY: the caller passes valid pointers.
    unsafe {
        guard(msg, || {
            *out = state_mut::<S>(state).on_timer(&kernel_view(kernel)) as u8;
            Ok(())
        })
    }
}

unsafe extern "C" fn queue_level<S: Scheduler>(
    state: *mut c_void,
    pid: u32,
    out: *mut u32,
    msg: *mut AbiMessage,
) -> u32 {
    // SAFETY: the caller passes valid pointers.
    unsafe {
        guard(msg, || {
            *out = state_mut::<S>(state).queue_level(crate::pcb::Pid(pid)).unwrap_or(NONE_U32);
            Ok(())
        })
    }
}

/// Exports a submission's policies over the C ABI.
///
/// List each policy the crate implements as `Kind => Type`, where `Kind` is a [`PolicyKind`] variant and `Type`
/// implements [`Scheduler`]. Invoke it exactly once, in `lib.rs`:
///
/// ```ignore
/// schedgrade_contract::export_schedulers! {
///     Fcfs => fcfs::Fcfs,
///     Rr => rr::RoundRobin,
/// }
/// ```
///
/// It generates the `SCHEDGRADE_ABI_VERSION` static and the `schedgrade_table` function described in
/// [`crate::abi`].
#[macro_export]
macro_rules! export_schedulers {
    ($($kind:ident => $ty:ty),* $(,)?) => {
        /// The ABI version this library was built against.
        #[unsafe(no_mangle)]
        pub static SCHEDGRADE_ABI_VERSION: u32 = $crate::abi::ABI_VERSION;

        /// The function table of `policy`, or null if this library does not implement it.
        #[unsafe(no_mangle)]
        pub extern "C" fn schedgrade_table(policy: u32) -> *const $crate::abi::AbiTable {
            $(
                if policy == $crate::PolicyKind::$kind as u32 {
                    static TABLE: $crate::abi::AbiTable = $crate::export::table::<$ty>($crate::PolicyKind::$kind);
                    return &TABLE;
                }
            )*
            ::core::ptr::null()
        }
    };
}
