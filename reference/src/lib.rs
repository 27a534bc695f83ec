//! # schedgrade-reference: the schedules every submission is graded against
//!
//! One scheduler per policy of the course, written against the same [`schedgrade_contract::Scheduler`] trait as
//! student code and exported through the same C ABI (`export_schedulers!`), so the grader drives the reference
//! and a submission in exactly the same way. A wrong rule here grades every student wrong: each policy follows the
//! numbered rules of `docs/semantics.md` (section P), and every tie is broken explicitly.
//!
//! The kernel owns states and time; a policy only orders the ready queue. Unless a policy says otherwise, equal
//! keys go to the earlier `ready_since` (the tick it entered Ready), then to the lower pid, and a newcomer
//! preempts only when it is strictly better.
//!
//! | module       | policy                                                                                   |
//! |--------------|------------------------------------------------------------------------------------------|
//! | [`fcfs`]     | FIFO in the order processes became Ready; never preempts.                                |
//! | [`sjf`]      | Shortest CPU burst first, non-preemptive; optional exponential-average prediction.       |
//! | [`srtf`]     | Shortest remaining burst first; a newcomer preempts if its remaining is strictly shorter. |
//! | [`priority`] | Most important priority first; optional preemption and aging.                            |
//! | [`rr`]       | Round robin: FIFO, every re-entry at the tail, fixed quantum.                            |
//! | [`hrrn`]     | Highest response ratio (wait + burst) / burst, non-preemptive, exact integer comparison. |
//! | [`mlq`]      | Fixed queues by class, each with its own policy; fixed priority or time slices between.  |
//! | [`mlfq`]     | OSTEP's mlfq.py, tick for tick: quanta, allotments, boost, `-S`, `-I`.                   |
//! | [`lottery`]  | Ticket draw with SplitMix64 from the case's seed, winner walked in pid order.            |
//! | [`stride`]   | Lowest pass first (ties to the lower pid); pass += L / tickets per dispatch.             |
//!
//! Every decision is O(log n) or better, except where the algorithm needs a scan: HRRN, and priority with aging
//! (each says so). Per-process tables are sized once, on the first hook call; after that the only allocations
//! are the amortized growth of the ready queues.

pub mod fcfs;
pub mod hrrn;
pub mod lottery;
pub mod mlfq;
pub mod mlq;
pub mod priority;
pub mod rr;
pub mod sjf;
pub mod srtf;
pub mod stride;

schedgrade_contract::export_schedulers! {
    Fcfs => fcfs::Fcfs,
    Sjf => sjf::Sjf,
    Srtf => srtf::Srtf,
    Priority => priority::Priority,
    Rr => rr::RoundRobin,
    Hrrn => hrrn::Hrrn,
    Mlq => mlq::Mlq,
    Mlfq => mlfq::Mlfq,
    Lottery => lottery::Lottery,
    Stride => stride::Stride,
}
