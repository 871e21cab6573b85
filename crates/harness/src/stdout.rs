//! Everything the CLI prints to standard output goes through here, so that
//! `incident simulate … | head` ends quietly instead of panicking: a reader
//! that closed the pipe has all it wanted, and the exit code stays 0. Any
//! other write error (a full disk, `> /dev/full`) is reported once on
//! stderr, nothing more is written, and the command exits 1: output that
//! was not written is a failure.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Nothing more is written: the pipe is closed or a write failed.
static CLOSED: AtomicBool = AtomicBool::new(false);
/// A write failed for another reason than a closed pipe.
static FAILED: AtomicBool = AtomicBool::new(false);

pub fn write(args: fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != ErrorKind::BrokenPipe {
            FAILED.store(true, Ordering::Relaxed);
            eprintln!("error: could not write the output: {e}");
        }
    }
}

/// Whether some output was lost to a write error (not to a closed pipe).
pub fn failed() -> bool {
    FAILED.load(Ordering::Relaxed)
}

/// `print!` that survives a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdout::write(format_args!($($arg)*)) };
}

/// `println!` that survives a closed pipe.
macro_rules! outln {
    () => { $crate::stdout::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdout::write(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {out, outln};
