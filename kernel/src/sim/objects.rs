//! The kernel's synchronisation objects: mutexes and counting semaphores, each with one wait queue (rules O5–O8).
//! These are the kernel's own, reference semantics; the kernel calls them and turns their answers into state
//! transitions and trace events.

use std::collections::VecDeque;

use schedgrade_contract::{Pid, PriorityOrder};

use crate::case::{Case, ObjId, ObjectKind, WakeOrder};

/// The processes waiting on one object, in the order they started waiting.
#[derive(Clone, Debug, Default)]
pub(crate) struct WaitQueue {
    waiters: VecDeque<Pid>,
}

impl WaitQueue {
    fn push(&mut self, pid: Pid) {
        self.waiters.push_back(pid);
    }

    /// Takes the waiter `order` picks (rule O5): the longest waiting, or the smallest `rank` with ties to the
    /// longest waiting. A linear scan: wait queues are as short as the number of processes.
    fn pop(&mut self, order: WakeOrder, rank: &[i64]) -> Option<Pid> {
        match order {
            WakeOrder::Fifo => self.waiters.pop_front(),
            WakeOrder::Priority => {
                let best = (0..self.waiters.len()).min_by_key(|&i| (rank[self.waiters[i].index()], i))?;
                self.waiters.remove(best)
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Object {
    kind: ObjectKind,
    wake: WakeOrder,
    /// A mutex's owner.
    owner: Option<Pid>,
    /// A semaphore's value; negative: minus the number of waiters (rule O7).
    value: i64,
    queue: WaitQueue,
}

/// What `lock` did.
pub(crate) enum Lock {
    /// The mutex was free; the caller owns it now.
    Acquired,
    /// The caller already owns it: an error, with no effect (rule O8).
    AlreadyOwned,
    /// Another process owns it; the caller has been queued and must block.
    MustWait { owner: Pid },
}

/// What `unlock` did.
pub(crate) enum Unlock {
    /// Released; ownership passed to `next` (already dequeued), if anyone waited.
    Released { next: Option<Pid> },
    /// The caller does not own it: an error, with no effect (rule O8).
    NotOwner { owner: Option<Pid> },
}

/// The kernel's objects, indexed by [`ObjId`], and what each process waits on. The per-process vectors are empty
/// when the case has no objects, so that scheduling-only workloads neither allocate nor touch them.
pub(crate) struct Objects {
    objects: Vec<Object>,
    /// Each process's wake-up rank (smaller wakes first) for `wake: priority`; empty when no object uses it.
    rank: Vec<i64>,
    /// The object each process is blocked on, by pid (rule O4).
    blocked_on: Vec<Option<ObjId>>,
    /// Whether each process has been named in a `deadlock` event (rule O10), by pid.
    reported: Vec<bool>,
}

impl Objects {
    pub fn new(case: &Case) -> Objects {
        let objects = case
            .objects
            .iter()
            .map(|o| Object {
                kind: o.kind,
                wake: o.wake,
                owner: None,
                value: i64::try_from(o.initial).unwrap_or(i64::MAX),
                queue: WaitQueue::default(),
            })
            .collect();
        let rank = if case.objects.iter().any(|o| o.wake == WakeOrder::Priority) {
            let sign = match case.scheduler.priority_order {
                PriorityOrder::LowerFirst => 1,
                PriorityOrder::HigherFirst => -1,
            };
            case.processes.iter().map(|p| sign * p.priority).collect()
        } else {
            Vec::new()
        };
        let n = if case.objects.is_empty() { 0 } else { case.processes.len() };
        Objects { objects, rank, blocked_on: vec![None; n], reported: vec![false; n] }
    }

    /// The object `pid` is blocked on, if any.
    pub fn blocked_on(&self, pid: Pid) -> Option<ObjId> {
        self.blocked_on.get(pid.index()).copied().flatten()
    }

    /// Records that `pid` now waits on `id` (or, with `None`, no longer waits). Only called for cases with objects.
    pub fn set_blocked_on(&mut self, pid: Pid, id: Option<ObjId>) {
        if let Some(slot) = self.blocked_on.get_mut(pid.index()) {
            *slot = id;
        }
    }

    /// Whether `pid` has been named in a `deadlock` event.
    pub fn reported(&self, pid: Pid) -> bool {
        self.reported.get(pid.index()).copied().unwrap_or(false)
    }

    pub fn mark_reported(&mut self, pid: Pid) {
        if let Some(slot) = self.reported.get_mut(pid.index()) {
            *slot = true;
        }
    }

    /// A mutex's owner; `None` for a free mutex and for every semaphore (semaphores have no owner).
    pub fn owner(&self, id: ObjId) -> Option<Pid> {
        let o = &self.objects[id.index()];
        if o.kind == ObjectKind::Mutex { o.owner } else { None }
    }

    pub fn lock(&mut self, id: ObjId, pid: Pid) -> Lock {
        let o = &mut self.objects[id.index()];
        match o.owner {
            None => {
                o.owner = Some(pid);
                Lock::Acquired
            }
            Some(owner) if owner == pid => Lock::AlreadyOwned,
            Some(owner) => {
                o.queue.push(pid);
                Lock::MustWait { owner }
            }
        }
    }

    /// Releases a mutex and hands it to the next waiter (direct handoff: it owns the mutex from this moment).
    pub fn unlock(&mut self, id: ObjId, pid: Pid) -> Unlock {
        let o = &mut self.objects[id.index()];
        if o.owner != Some(pid) {
            return Unlock::NotOwner { owner: o.owner };
        }
        let next = o.queue.pop(o.wake, &self.rank);
        o.owner = next;
        Unlock::Released { next }
    }

    /// Semaphore `wait`: the new value, and whether the caller has been queued and must block.
    pub fn wait(&mut self, id: ObjId, pid: Pid) -> (i64, bool) {
        let o = &mut self.objects[id.index()];
        o.value -= 1;
        let blocks = o.value < 0;
        if blocks {
            o.queue.push(pid);
        }
        (o.value, blocks)
    }

    /// Semaphore `signal`: the new value, and the waiter woken (already dequeued), if any.
    pub fn signal(&mut self, id: ObjId) -> (i64, Option<Pid>) {
        let o = &mut self.objects[id.index()];
        o.value += 1;
        let woken = if o.value <= 0 { o.queue.pop(o.wake, &self.rank) } else { None };
        (o.value, woken)
    }
}
