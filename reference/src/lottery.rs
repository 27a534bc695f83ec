//! Lottery scheduling.

use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig, Tick};

/// Lottery scheduling: each pick draws a winning ticket among the tickets of the Ready processes.
///
/// The draw must be reproducible by students in any language, so it is fully specified:
///
/// 1. The generator is SplitMix64 seeded with `config.seed` (below; no crates, no platform randomness).
/// 2. Every `pick_next` with at least one Ready process draws exactly once: r = next() % T, where T is the total
///    of the Ready processes' tickets. (The modulo bias is accepted: it is part of the specification.)
/// 3. The winner is found by walking the Ready processes in pid order, summing their tickets, and stopping at the
///    first whose running sum exceeds r.
/// 4. The winner leaves the draw until it is Ready again; the slice is `quantum` ticks, 1 if unset.
///
/// A process with 0 tickets is counted as holding 1, so that every Ready process can be chosen (the case loader
/// should reject 0). Rule 3 is a prefix-sum search, so the tickets live in a Fenwick tree indexed by pid: a draw
/// and an update are O(log n) instead of a walk over every Ready process.
pub struct Lottery {
    rng: SplitMix64,
    quantum: Tick,
    /// 1-based Fenwick tree over pids of the Ready processes' tickets; sums in u128 so they cannot overflow.
    tree: Vec<u128>,
    /// Tickets of each pid while it is in the draw, 0 otherwise.
    tickets: Vec<u64>,
    total: u128,
}

/// SplitMix64 (Steele, Lea and Flood 2014; the constants of `java.util.SplittableRandom`).
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Lottery {
    /// Sizes the tables for every pid of the case on the first call (pids are dense).
    fn reserve(&mut self, kernel: &Kernel<'_>, pid: Pid) {
        if pid.index() < self.tickets.len() {
            return;
        }
        let len = kernel.process_count().max(pid.index() + 1);
        self.tickets.resize(len, 0);
        // Rebuild in O(n) in case some pids were already in the draw (only an out-of-range pid gets here twice).
        self.tree = vec![0; len + 1];
        for i in 1..=len {
            self.tree[i] += u128::from(self.tickets[i - 1]);
            let parent = i + (i & i.wrapping_neg());
            if parent <= len {
                self.tree[parent] += self.tree[i];
            }
        }
    }

    fn insert(&mut self, pid: Pid, tickets: u128) {
        let mut i = pid.index() + 1;
        while i < self.tree.len() {
            self.tree[i] += tickets;
            i += i & i.wrapping_neg();
        }
    }

    /// Removes and returns the first pid whose prefix sum exceeds `r` (requires r < total).
    ///
    /// The descent declines exactly the nodes whose ranges contain the winner, which are the nodes of its update
    /// path; subtracting from them while they are still in cache halves the misses of a separate removal walk.
    fn take(&mut self, mut r: u128) -> Pid {
        let n = self.tree.len() - 1;
        let mut declined = [0usize; usize::BITS as usize];
        let mut count = 0;
        let mut pos = 0;
        let mut step = if n == 0 { 0 } else { 1 << n.ilog2() };
        while step > 0 {
            let next = pos + step;
            if next <= n {
                if self.tree[next] <= r {
                    pos = next;
                    r -= self.tree[next];
                } else {
                    declined[count] = next;
                    count += 1;
                }
            }
            step >>= 1;
        }
        // 1-based node `pos + 1` is 0-based pid `pos`.
        let tickets = u128::from(std::mem::take(&mut self.tickets[pos]));
        for &node in &declined[..count] {
            self.tree[node] -= tickets;
        }
        self.total -= tickets;
        Pid(pos as u32)
    }
}

impl Scheduler for Lottery {
    fn new(config: &SchedulerConfig) -> Result<Self, String> {
        let quantum = config.quantum.unwrap_or(1);
        if quantum == 0 {
            return Err("lottery: `quantum` must be at least 1 tick".to_owned());
        }
        Ok(Lottery { rng: SplitMix64 { state: config.seed }, quantum, tree: Vec::new(), tickets: Vec::new(), total: 0 })
    }

    fn on_ready(&mut self, kernel: &Kernel<'_>, pcb: &Pcb, _reason: ReadyReason) {
        self.reserve(kernel, pcb.pid);
        let tickets = pcb.tickets.max(1);
        self.tickets[pcb.pid.index()] = tickets;
        self.insert(pcb.pid, u128::from(tickets));
        self.total += u128::from(tickets);
    }

    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        if self.total == 0 {
            return None;
        }
        let draw = self.rng.next();
        // Same value as the u128 modulo; u64 division is several times cheaper and the total almost always fits.
        let r = match u64::try_from(self.total) {
            Ok(total) => u128::from(draw % total),
            Err(_) => u128::from(draw) % self.total,
        };
        Some(self.take(r))
    }

    fn time_slice(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb) -> Option<Tick> {
        Some(self.quantum)
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    /// The first outputs for seed 0, as published with the reference implementation (and `rand_xoshiro`).
    #[test]
    fn splitmix64_matches_the_published_sequence() {
        let mut rng = SplitMix64 { state: 0 };
        assert_eq!(rng.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next(), 0x06C4_5D18_8009_454F);
    }
}
