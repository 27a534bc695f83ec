//! Synthetic workloads for benchmarks and scale tests: many processes with mixed CPU and I/O bursts, generated
//! deterministically from a seed (SplitMix64), with arrivals paced so the system stays busy but stable.

use schedgrade_contract::{PolicyKind, QueueConfig, SchedulerConfig, Tick};

use crate::case::{Case, Machine, Op, ProcessSpec, SwitchCost, Ties};

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// A typical configuration of `policy` for generated workloads.
pub fn scheduler_for(policy: PolicyKind) -> SchedulerConfig {
    let mut config = SchedulerConfig::new(policy);
    match policy {
        PolicyKind::Rr | PolicyKind::Lottery | PolicyKind::Stride => config.quantum = Some(4),
        PolicyKind::Priority => config.preemptive = true,
        PolicyKind::Mlfq => {
            config.quanta = vec![2, 4, 8];
            config.allotments = vec![4, 8, 16];
            config.boost = 200;
        }
        PolicyKind::Mlq => {
            config.queues = vec![
                QueueConfig { policy: PolicyKind::Rr, quantum: Some(4), preemptive: false },
                QueueConfig { policy: PolicyKind::Fcfs, quantum: None, preemptive: false },
            ];
        }
        PolicyKind::Fcfs | PolicyKind::Sjf | PolicyKind::Srtf | PolicyKind::Hrrn => {}
    }
    config
}

/// `n` processes: 1–4 CPU bursts of 1–12 ticks separated by I/O of 1–20 ticks, arriving at a pace that keeps one
/// CPU about 90% busy.
pub fn generate(policy: PolicyKind, n: usize, seed: u64) -> Case {
    let mut rng = SplitMix64(seed);
    let mut arrival: Tick = 0;
    let processes = (0..n)
        .map(|i| {
            let cpu_bursts = rng.between(1, 4);
            let mut bursts = Vec::with_capacity(cpu_bursts as usize * 2);
            let mut work = 0;
            for b in 0..cpu_bursts {
                if b > 0 {
                    bursts.push(Op::Io(rng.between(1, 20)));
                }
                let cpu = rng.between(1, 12);
                work += cpu;
                bursts.push(Op::Cpu(cpu));
            }
            let spec = ProcessSpec {
                name: format!("p{i}"),
                arrival,
                priority: rng.between(0, 9) as i64,
                class: (rng.next() % 2) as u32,
                tickets: rng.between(1, 100),
                program: bursts.into(),
            };
            // Mean gap ≈ work / 0.9, so the CPU is ~90% utilised.
            arrival += rng.between(0, work * 20 / 9);
            spec
        })
        .collect();
    Case {
        name: format!("generated-{}-{n}", policy.as_str()),
        description: None,
        hint: None,
        scheduler: scheduler_for(policy),
        machine: Machine {
            cpus: 1,
            context_switch: SwitchCost::default(),
            ties: Ties::ArrivalsFirst,
            io_devices: None,
        },
        processes,
        objects: Vec::new(),
        expect: None,
    }
}
