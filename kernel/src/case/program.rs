//! A process's program: typed operations and `repeat` loops.
//!
//! A program is written as a list of [`Step`]s (an operation, or a loop around more steps) and stored flat, as
//! [`Instr`]uctions with jump targets, so that a loop of a million iterations costs two instructions, not a million
//! operations. The kernel walks the flat form with a cursor (a program counter and one remaining-count per open
//! loop). What each operation does is numbered in `docs/semantics.md` (rules O1–O11); which operations exist, how
//! they are written and what they take is the descriptor table in [`super::ops`].

use schedgrade_contract::Tick;

/// A synchronisation object: its index in [`super::Case::objects`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjId(pub u32);

impl ObjId {
    /// The id as a `Vec` index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One operation of a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Compute for this many ticks (one CPU burst).
    Cpu(Tick),
    /// Wait for I/O for this many ticks (plus any time queued for a device).
    Io(Tick),
    /// Acquire a mutex; blocks while another process holds it.
    Lock(ObjId),
    /// Release a mutex this process holds.
    Unlock(ObjId),
    /// Semaphore `wait` (P, down): decrement, and block if the value is then negative.
    Wait(ObjId),
    /// Semaphore `signal` (V, up): increment, and wake one waiter if there is one.
    Signal(ObjId),
    /// Give up the CPU voluntarily and go back to Ready.
    Yield,
}

impl Op {
    /// Whether the operation uses simulated time on the CPU (every other operation takes no time).
    pub fn is_cpu(self) -> bool {
        matches!(self, Op::Cpu(_))
    }
}

/// A program as written: an operation, or `repeat: N, do: [...]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Op(Op),
    /// The body, `times` times in a row (at least once).
    Repeat {
        times: u32,
        body: Vec<Step>,
    },
}

/// One instruction of the flat form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instr {
    Op(Op),
    /// Opens a loop whose `EndRepeat` is at index `end`. `has_cpu` says whether its body (nested loops included)
    /// contains a `cpu` operation, so that looking ahead for the next CPU burst can skip bodies without one.
    /// `times` is a `u32` so that an instruction stays 16 bytes, as small as an operation.
    Repeat {
        times: u32,
        end: u32,
        has_cpu: bool,
    },
    /// Closes the loop opened at index `start`.
    EndRepeat {
        start: u32,
    },
}

/// A program, stored flat.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Program {
    code: Vec<Instr>,
    /// Whether `code` has a loop (kept here so that the kernel can ask without reading the code).
    has_loops: bool,
}

impl Program {
    /// Flattens `steps`. Panics if the program has more than `u32::MAX` instructions (the loader's file-size limit
    /// keeps real programs far below that).
    pub fn new(steps: &[Step]) -> Program {
        let mut code = Vec::with_capacity(steps.len());
        flatten(steps, &mut code);
        let has_loops = code.iter().any(|i| matches!(i, Instr::Repeat { .. }));
        Program { code, has_loops }
    }

    /// A program without loops.
    pub fn from_ops(ops: impl IntoIterator<Item = Op>) -> Program {
        Program { code: ops.into_iter().map(Instr::Op).collect(), has_loops: false }
    }

    /// The flat instructions, for the kernel's cursor.
    pub fn code(&self) -> &[Instr] {
        &self.code
    }

    /// The program as written (loops rebuilt), for tests and messages.
    pub fn steps(&self) -> Vec<Step> {
        fn build(code: &[Instr], mut i: usize, end: usize, out: &mut Vec<Step>) {
            while i < end {
                match code[i] {
                    Instr::Op(op) => {
                        out.push(Step::Op(op));
                        i += 1;
                    }
                    Instr::Repeat { times, end: close, .. } => {
                        let mut body = Vec::new();
                        build(code, i + 1, close as usize, &mut body);
                        out.push(Step::Repeat { times, body });
                        i = close as usize + 1;
                    }
                    Instr::EndRepeat { .. } => i += 1,
                }
            }
        }
        let mut out = Vec::new();
        build(&self.code, 0, self.code.len(), &mut out);
        out
    }

    /// Every operation in execution order, loops unrolled lazily (nothing is materialised).
    pub fn ops(&self) -> impl Iterator<Item = Op> + '_ {
        let (mut cursor, mut loops) = (Cursor::default(), Vec::new());
        let mut started = false;
        std::iter::from_fn(move || {
            if started {
                cursor.advance(&self.code, &mut loops)
            } else {
                started = true;
                cursor.land(&self.code, &mut loops)
            }
        })
    }

    /// Whether the program has a `repeat` loop.
    pub fn has_loops(&self) -> bool {
        self.has_loops
    }

    /// Totals over the unrolled program: (operations, CPU and I/O ticks), saturating at `u128::MAX`.
    pub fn totals(&self) -> (u128, u128) {
        fn walk(code: &[Instr], mut i: usize, end: usize) -> (u128, u128) {
            let (mut ops, mut ticks) = (0u128, 0u128);
            while i < end {
                match code[i] {
                    Instr::Op(op) => {
                        ops += 1;
                        if let Op::Cpu(n) | Op::Io(n) = op {
                            ticks += u128::from(n);
                        }
                        i += 1;
                    }
                    Instr::Repeat { times, end: close, .. } => {
                        let (o, t) = walk(code, i + 1, close as usize);
                        ops = ops.saturating_add(o.saturating_mul(times.into()));
                        ticks = ticks.saturating_add(t.saturating_mul(times.into()));
                        i = close as usize + 1;
                    }
                    Instr::EndRepeat { .. } => i += 1,
                }
            }
            (ops, ticks)
        }
        walk(&self.code, 0, self.code.len())
    }
}

impl From<Vec<Op>> for Program {
    fn from(ops: Vec<Op>) -> Program {
        Program::from_ops(ops)
    }
}

/// Appends `steps` to `code`; returns whether they contain a `cpu` operation.
fn flatten(steps: &[Step], code: &mut Vec<Instr>) -> bool {
    let mut has_cpu = false;
    for step in steps {
        match step {
            Step::Op(op) => {
                has_cpu |= op.is_cpu();
                code.push(Instr::Op(*op));
            }
            Step::Repeat { times, body } => {
                let start = code.len();
                code.push(Instr::Repeat { times: *times, end: 0, has_cpu: false });
                let inner = flatten(body, code);
                let end = index(code.len());
                code.push(Instr::EndRepeat { start: index(start) });
                code[start] = Instr::Repeat { times: *times, end, has_cpu: inner };
                has_cpu |= inner;
            }
        }
    }
    has_cpu
}

fn index(i: usize) -> u32 {
    u32::try_from(i).expect("a program has fewer than 2^32 instructions")
}

/// Where a process is in its program: the program counter. It always rests on an operation or at the end.
///
/// The open loops are kept beside it, as a stack of iterations left (the current one included, outermost first):
/// the kernel stores the stacks apart from its process records, since most programs have no loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub pc: u32,
}

impl Cursor {
    /// The operation the cursor rests on, or `None` at the end of the program.
    #[inline]
    pub fn op(self, code: &[Instr]) -> Option<Op> {
        match code.get(self.pc as usize) {
            Some(Instr::Op(op)) => Some(*op),
            _ => None,
        }
    }

    /// Moves over loop instructions until the cursor rests on an operation or at the end; returns that operation.
    #[inline]
    pub fn land(&mut self, code: &[Instr], loops: &mut Vec<u32>) -> Option<Op> {
        while let Some(instr) = code.get(self.pc as usize) {
            match *instr {
                Instr::Op(op) => return Some(op),
                Instr::Repeat { times, .. } => {
                    loops.push(times);
                    self.pc += 1;
                }
                Instr::EndRepeat { start } => match loops.last_mut() {
                    Some(left) if *left > 1 => {
                        *left -= 1;
                        self.pc = start + 1;
                    }
                    _ => {
                        loops.pop();
                        self.pc += 1;
                    }
                },
            }
        }
        None
    }

    /// Moves past the current operation to the next one; returns it (`None` at the end of the program).
    #[inline]
    pub fn advance(&mut self, code: &[Instr], loops: &mut Vec<u32>) -> Option<Op> {
        self.pc += 1;
        self.land(code, loops)
    }

    /// The length of the first `cpu` operation at or after the cursor, without moving it: the CPU burst the process
    /// will run next. `None` if no `cpu` operation is left.
    pub fn next_cpu(self, code: &[Instr], loops: &[u32]) -> Option<Tick> {
        let mut pc = self.pc as usize;
        // Open loops of the real cursor we are still inside (innermost last); loops entered while looking ahead
        // always contain a `cpu` operation, which is found before their end.
        let mut depth = loops.len();
        while let Some(instr) = code.get(pc) {
            match *instr {
                Instr::Op(Op::Cpu(n)) => return Some(n),
                Instr::Op(_) => pc += 1,
                Instr::Repeat { end, has_cpu, .. } => pc = if has_cpu { pc + 1 } else { end as usize + 1 },
                Instr::EndRepeat { start } => {
                    let again = depth > 0 && loops[depth - 1] > 1;
                    let has_cpu = matches!(code[start as usize], Instr::Repeat { has_cpu: true, .. });
                    if again && has_cpu {
                        pc = start as usize + 1;
                    } else {
                        depth = depth.saturating_sub(1);
                        pc += 1;
                    }
                }
            }
        }
        None
    }
}
