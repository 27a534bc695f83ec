//! Deadlock detection (rules O10, O11). The wait-for graph has an edge from a process blocked on a mutex to the
//! mutex's owner; a process waits on at most one object, so every process has at most one outgoing edge and a
//! cycle is found by following edges. A cycle can only be closed by a process blocking on a mutex (an ownership
//! handoff goes to a process that is no longer blocked), so checking there finds every cycle when it forms.

use schedgrade_contract::{Pid, ProcState};

use super::{Kernel, Stop};
use crate::sim::outcome::{BlockedProcess, DeadlockReport};
use crate::trace::Transition;

impl Kernel<'_, '_> {
    /// `pid` has just blocked on a mutex: if that closes a cycle, reports every process of it, starting with `pid`.
    pub(super) fn detect_cycle(&mut self, pid: Pid) {
        let mut cycle = vec![pid];
        let mut current = pid;
        // At most one step per process: a chain that leads into an older cycle (reported when it formed) without
        // coming back to `pid` ends here.
        for _ in 0..self.world.procs.len() {
            let Some(owner) = self.objects.blocked_on(current).and_then(|id| self.objects.owner(id)) else {
                return;
            };
            if owner == pid {
                self.report_cycle(cycle);
                return;
            }
            cycle.push(owner);
            current = owner;
        }
    }

    fn report_cycle(&mut self, cycle: Vec<Pid>) {
        for &member in &cycle {
            self.report_blocked(member);
        }
        if self.first_cycle.is_none() {
            self.first_cycle = Some((self.world.now, cycle));
        }
    }

    /// One `deadlock` event for a process blocked for good.
    fn report_blocked(&mut self, pid: Pid) {
        self.objects.mark_reported(pid);
        if let Some(waits_for) = self.objects.blocked_on(pid) {
            let held_by = self.objects.owner(waits_for);
            self.emit(None, pid, Transition::Deadlock { waits_for, held_by });
        }
    }

    /// Nothing can run again: reports every blocked process not reported yet, and ends the run (rule O11).
    pub(super) fn stalled(&mut self) -> Stop {
        let blocked: Vec<Pid> = (0..self.world.procs.len() as u32)
            .map(Pid)
            .filter(|pid| {
                self.world.procs[pid.index()].state == ProcState::Blocked && self.objects.blocked_on(*pid).is_some()
            })
            .collect();
        if blocked.is_empty() {
            // Every process left is New, Ready, running or doing I/O, so there is always a next event: a stall
            // without a blocked process is a bug in the kernel, reported instead of looping forever.
            let left = self.world.procs.len() - self.exited;
            return self.violation(
                schedgrade_contract::client::Hook::PickNext,
                format!("the simulation stalled with {left} process(es) left, none of them blocked on an object"),
            );
        }
        for &pid in &blocked {
            if !self.objects.reported(pid) {
                self.report_blocked(pid);
            }
        }
        let (time, cycle) = self.first_cycle.take().unwrap_or((self.world.now, Vec::new()));
        let blocked = blocked
            .into_iter()
            .filter_map(|pid| {
                let waits_for = self.objects.blocked_on(pid)?;
                Some(BlockedProcess { pid, waits_for, held_by: self.objects.owner(waits_for) })
            })
            .collect();
        Stop::Deadlock(Box::new(DeadlockReport { time, cycle, blocked }))
    }
}
