//! The size of the built site: what `cargo xtask dist` notes and `bench`
//! weighs against the budget.

use crate::util::Result;
use std::io::Write;
use std::path::Path;

pub struct BundleSizes {
    pub wasm_raw: u64,
    pub js_raw: u64,
    pub css_raw: u64,
    pub total_gzip: u64,
}

fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).map_err(|e| e.to_string())?;
    Ok(enc.finish().map_err(|e| e.to_string())?.len() as u64)
}

/// Sums the raw sizes of dist's wasm, js and css, and their gzipped sizes.
pub fn sizes(dist: &Path) -> Result<BundleSizes> {
    let mut sizes = BundleSizes {
        wasm_raw: 0,
        js_raw: 0,
        css_raw: 0,
        total_gzip: 0,
    };
    for entry in std::fs::read_dir(dist).map_err(|e| format!("{}: {e}", dist.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_string();
        if !["wasm", "js", "css"].contains(&ext.as_str()) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        match ext.as_str() {
            "wasm" => sizes.wasm_raw += bytes.len() as u64,
            "js" => sizes.js_raw += bytes.len() as u64,
            _ => sizes.css_raw += bytes.len() as u64,
        }
        sizes.total_gzip += gzip_len(&bytes)?;
    }
    Ok(sizes)
}
