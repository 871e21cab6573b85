//! Every file the command reads (scenarios, lessons and their index,
//! traces, the workloads it builds) is read here: a regular file only, and
//! no more of it than its reader takes. A FIFO would block the command
//! until something writes to it and `/dev/zero` would fill the memory, so
//! both are refused from their metadata before anything is read.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

/// The text of the regular file at `path`, if it is at most `limit` bytes
/// of UTF-8. `what` names the file in the messages ("a scenario file"),
/// each one line that starts with the path.
pub fn read_text(path: &Path, limit: usize, what: &str) -> Result<String, String> {
    let bytes = read_bytes(path, limit, what)?;
    String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))
}

/// The bytes of the regular file at `path`, if there are at most `limit`:
/// at most `limit + 1` are read, whatever the file says its size is.
pub fn read_bytes(path: &Path, limit: usize, what: &str) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let too_large = || {
        format!(
            "{shown}: larger than {}; {what} may be at most {}",
            size(limit),
            size(limit)
        )
    };
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    regular(&meta, what).map_err(|m| format!("{shown}: {m}"))?;
    if meta.len() > limit as u64 {
        return Err(too_large());
    }
    let file = open(path).map_err(|e| format!("{shown}: {e}"))?;
    // The path may name something else by now: check what was opened.
    let opened = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
    regular(&opened, what).map_err(|m| format!("{shown}: {m}"))?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown}: {e}"))?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Opens for reading without waiting: opening a FIFO that the metadata
/// check missed (the path was swapped in between) returns at once.
fn open(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// `Ok` for a regular file, else what it is and what is needed.
fn regular(meta: &Metadata, what: &str) -> Result<(), String> {
    if meta.is_file() {
        return Ok(());
    }
    Err(format!("is {}; {what} must be a regular file", kind(meta)))
}

fn kind(meta: &Metadata) -> &'static str {
    if meta.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// 262144 -> "256 KiB", 67108864 -> "64 MiB".
fn size(bytes: usize) -> String {
    const MIB: usize = 1 << 20;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{} KiB", bytes / 1024)
    }
}
