//! `schedgrade doctor`: which sandbox layers work here.

use crate::exit_code;
use crate::sandbox::{LayerState, probe_layers};

pub fn doctor() -> i32 {
    let layers = probe_layers();
    for layer in &layers {
        println!("{layer}");
    }
    let missing = layers.iter().filter(|l| l.state == LayerState::Missing).count();
    if missing == 0 {
        println!("\nevery sandbox layer works on this machine");
    } else {
        println!("\n{missing} layer(s) missing: grading still works, with less isolation (see above)");
    }
    exit_code::SUCCESS
}
