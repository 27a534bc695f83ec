//! What a running process does with its program (rules O2–O9): `cpu` operations take time on the CPU; every other
//! operation takes none and is executed at once, and the process goes on to the next one until it reaches a `cpu`
//! operation, blocks, yields or exits. Blocking and waking go through one path whatever the reason (I/O or an
//! object).

use std::cmp::Reverse;

use schedgrade_contract::{Pid, ProcState, ReadyReason, Tick};

use super::super::objects::{Lock, Unlock};
use super::{Kernel, Leave, Step};
use crate::case::{ObjId, Op};
use crate::sim::world::CpuState;
use crate::trace::{BlockOn, SyncOp, Transition, WokenBy};

impl Kernel<'_, '_> {
    /// The `cpu` operation under `pid`'s cursor ended at `now`: account for it and go on with the program.
    #[inline]
    pub(super) fn finish_cpu_op(&mut self, cpu: usize, pid: Pid, slice_end: Option<Tick>) -> Step {
        let now = self.world.now;
        let (length, next) = self.world.finish_op(pid);
        let p = &mut self.world.procs[pid.index()];
        let ran = now - p.run_start;
        p.cpu_used += ran;
        p.current_run += ran;
        p.run_start = now;
        p.burst_left = 0;
        p.last_burst = Some(length);
        self.totals.busy += ran;
        self.execute(cpu, pid, slice_end, next)
    }

    /// Runs `pid`'s operations on `cpu`, from `op` (the one under its cursor), until it needs CPU time, blocks,
    /// yields or exits (rule O2). `slice_end` is when its time slice ends. The CPU and I/O path is kept apart from
    /// the operations on objects, which scheduling-only workloads never reach.
    #[inline(always)]
    pub(super) fn execute(&mut self, cpu: usize, pid: Pid, slice_end: Option<Tick>, mut op: Option<Op>) -> Step {
        loop {
            match op {
                None => return self.exit(cpu, pid),
                Some(Op::Cpu(_)) => {
                    let now = self.world.now;
                    // Rule O3: reaching a `cpu` operation when the slice ends now is a timeout.
                    if slice_end == Some(now) {
                        return self.leave_for_ready(cpu, pid, Leave::Timeout);
                    }
                    let burst_end = now + self.world.procs[pid.index()].burst_left;
                    self.world.cpus[cpu].state = CpuState::Running { pid, slice_end, burst_end };
                    return Ok(());
                }
                Some(Op::Io(length)) => {
                    self.world.advance(pid);
                    self.block(cpu, pid, BlockOn::Io)?;
                    self.request_io(pid, length);
                    return Ok(());
                }
                Some(other) => match self.execute_on_object(cpu, pid, other)? {
                    Some(next) => op = next,
                    None => return Ok(()),
                },
            }
        }
    }

    /// One operation other than `cpu` and `io`. Returns the next operation if the process goes on running
    /// (`Some(None)` at the end of its program), or `None` if it left the CPU.
    #[inline(never)]
    fn execute_on_object(&mut self, cpu: usize, pid: Pid, op: Op) -> Step<Option<Option<Op>>> {
        if let Op::Cpu(_) | Op::Io(_) = op {
            // Not an operation on an object: hand it back to `execute`.
            return Ok(Some(Some(op)));
        }
        let next = self.world.advance(pid);
        match op {
            Op::Lock(id) => match self.objects.lock(id, pid) {
                Lock::Acquired => self.emit(Some(cpu), pid, Transition::Sync(SyncOp::Lock { id })),
                Lock::AlreadyOwned => self.emit(Some(cpu), pid, Transition::Sync(SyncOp::LockError { id })),
                Lock::MustWait { owner } => {
                    self.objects.set_blocked_on(pid, Some(id));
                    self.block(cpu, pid, BlockOn::Mutex { id, owner })?;
                    self.detect_cycle(pid);
                    return Ok(None);
                }
            },
            Op::Unlock(id) => match self.objects.unlock(id, pid) {
                Unlock::Released { next } => {
                    self.emit(Some(cpu), pid, Transition::Sync(SyncOp::Unlock { id, woke: next }));
                    if let Some(next) = next {
                        self.wake_from_object(next, id)?;
                    }
                }
                Unlock::NotOwner { owner } => {
                    self.emit(Some(cpu), pid, Transition::Sync(SyncOp::UnlockError { id, owner }));
                }
            },
            Op::Wait(id) => {
                let (value, blocks) = self.objects.wait(id, pid);
                if blocks {
                    self.objects.set_blocked_on(pid, Some(id));
                    self.block(cpu, pid, BlockOn::Semaphore { id, value })?;
                    return Ok(None);
                }
                self.emit(Some(cpu), pid, Transition::Sync(SyncOp::Wait { id, value }));
            }
            Op::Signal(id) => {
                let (value, woke) = self.objects.signal(id);
                self.emit(Some(cpu), pid, Transition::Sync(SyncOp::Signal { id, value, woke }));
                if let Some(woke) = woke {
                    self.wake_from_object(woke, id)?;
                }
            }
            Op::Yield => {
                self.leave_for_ready(cpu, pid, Leave::Yield)?;
                return Ok(None);
            }
            // Handed back above.
            Op::Cpu(_) | Op::Io(_) => {}
        }
        Ok(Some(next))
    }

    /// Running → Ready without being preempted: a timeout or a `yield` (rules S6.2, O9). In step 1 the process joins
    /// Ready in step 2 with the other timeouts (in CPU order); later in the tick it joins at once.
    #[inline(always)]
    pub(super) fn leave_for_ready(&mut self, cpu: usize, pid: Pid, leave: Leave) -> Step {
        self.stop_run(cpu, pid, ProcState::Ready);
        if self.in_completions {
            self.timeouts.push((cpu, pid, leave));
            return Ok(());
        }
        self.emit(Some(cpu), pid, if leave == Leave::Yield { Transition::Yield } else { Transition::Timeout });
        self.notify_ready(pid, ReadyReason::Timeout)
    }

    /// Running → Blocked (decision point 1), whatever the reason (rule O4).
    #[inline(always)]
    fn block(&mut self, cpu: usize, pid: Pid, on: BlockOn) -> Step {
        self.stop_run(cpu, pid, ProcState::Blocked);
        self.emit(Some(cpu), pid, Transition::Block(on));
        let pcb = self.world.pcb(pid);
        self.policy.on_block(&self.world.abi_kernel(), &pcb)?;
        Ok(())
    }

    /// `pid` was dequeued from `id`'s wait queue: it becomes Ready now, or in step 2 if this is step 1 (rule O6).
    fn wake_from_object(&mut self, pid: Pid, id: ObjId) -> Step {
        self.objects.set_blocked_on(pid, None);
        if self.in_completions {
            self.woken.push((pid, id));
            return Ok(());
        }
        self.wake(pid, WokenBy::Object(id))
    }

    /// Running → Exit (decision point 4): the program has no operation left.
    #[inline(always)]
    fn exit(&mut self, cpu: usize, pid: Pid) -> Step {
        let now = self.world.now;
        self.stop_run(cpu, pid, ProcState::Exit);
        self.world.procs[pid.index()].completion = Some(now);
        self.live -= 1;
        self.exited += 1;
        self.emit(Some(cpu), pid, Transition::Exit);
        let pcb = self.world.pcb(pid);
        self.policy.on_exit(&self.world.abi_kernel(), &pcb)?;
        Ok(())
    }

    #[inline]
    fn request_io(&mut self, pid: Pid, length: Tick) {
        let seq = self.io_seq;
        self.io_seq += 1;
        match self.world.case.machine.io_devices {
            Some(devices) if self.io_in_flight.len() >= devices as usize => {
                self.io_waiting.push_back((seq, pid, length));
            }
            _ => self.start_io(pid, seq, length),
        }
    }

    #[inline]
    pub(super) fn start_io(&mut self, pid: Pid, seq: u64, length: Tick) {
        self.io_in_flight.push(Reverse((self.world.now + length, seq, pid)));
    }
}
