//! `schedgrade new DIR`.

use std::path::Path;

use crate::build::create_crate;
use crate::exit_code;

pub fn new(dir: &Path) -> i32 {
    match create_crate(dir) {
        Ok(()) => {
            println!(
                "created `{}`: implement the policies in `src/`, then run `schedgrade check {}`",
                dir.display(),
                dir.display()
            );
            exit_code::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit_code::BAD_INPUT
        }
    }
}
