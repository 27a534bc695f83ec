//! Hostile fixture: looks for the reference implementation in its own process, as a submission that wants to
//! return the reference's tables would (walking the program's loaded segments with `dl_iterate_phdr`, which makes
//! no system call). The worker must hold no reference code, so the search must come back empty. Expected verdict on the
//! fcfs tests: `panicked` with "the reference is not in this process".
use schedgrade_contract::{CpuId, Kernel, Pcb, Pid, ReadyReason, Scheduler, SchedulerConfig};

#[repr(C)]
struct Phdr {
    p_type: u32,
    p_flags: u32,
    p_offset: u64,
    p_vaddr: u64,
    p_paddr: u64,
    p_filesz: u64,
    p_memsz: u64,
    p_align: u64,
}

#[repr(C)]
struct DlPhdrInfo {
    addr: usize,
    name: *const u8,
    phdr: *const Phdr,
    phnum: u16,
}

unsafe extern "C" {
    fn dl_iterate_phdr(
        callback: unsafe extern "C" fn(*mut DlPhdrInfo, usize, *mut std::ffi::c_void) -> i32,
        data: *mut std::ffi::c_void,
    ) -> i32;
}

const PT_LOAD: u32 = 1;
const PF_R: u32 = 4;

/// The source paths the reference's panic locations carry (`reference/src/`), stored masked and unmasked on the
/// heap, so this library's own read-only data does not hold the needle.
fn needle() -> Vec<u8> {
    const MASKED: [u8; 14] = [39,48,51,48,39,48,59,54,48,122,38,39,54,122];
    MASKED.iter().map(|b| std::hint::black_box(b ^ 0x55)).collect()
}

unsafe extern "C" fn search(info: *mut DlPhdrInfo, _size: usize, data: *mut std::ffi::c_void) -> i32 {
    // SAFETY: the loader passes valid program headers of a loaded object; readable PT_LOAD segments are mapped.
    unsafe {
        let info = &*info;
        let (needle, found) = &mut *(data as *mut (Vec<u8>, bool));
        // The program itself (the worker) has an empty name: that is where a linked-in reference would be.
        if !info.name.is_null() && *info.name != 0 {
            return 0;
        }
        for i in 0..info.phnum as usize {
            let phdr = &*info.phdr.add(i);
            if phdr.p_type != PT_LOAD || phdr.p_flags & PF_R == 0 {
                continue;
            }
            let start = (info.addr as u64 + phdr.p_vaddr) as *const u8;
            let memory = std::slice::from_raw_parts(start, phdr.p_filesz as usize);
            let first = needle[0];
            let mut at = 0;
            while let Some(offset) = memory[at..].iter().position(|&b| b == first) {
                at += offset + 1;
                if memory[at - 1..].starts_with(needle) {
                    *found = true;
                    break;
                }
            }
        }
    }
    0
}

pub struct Fcfs;

impl Scheduler for Fcfs {
    fn new(_config: &SchedulerConfig) -> Result<Self, String> {
        let mut data = (needle(), false);
        // SAFETY: `search` matches the callback type and `data` outlives the call.
        unsafe { dl_iterate_phdr(search, &mut data as *mut _ as *mut std::ffi::c_void) };
        panic!("the reference is {}in this process", if data.1 { "" } else { "not " })
    }
    fn on_ready(&mut self, _kernel: &Kernel<'_>, _pcb: &Pcb, _reason: ReadyReason) {}
    fn pick_next(&mut self, _kernel: &Kernel<'_>, _cpu: CpuId) -> Option<Pid> {
        None
    }
}

schedgrade_contract::export_schedulers! { Fcfs => Fcfs }
