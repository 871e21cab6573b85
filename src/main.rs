use wasm_bindgen::prelude::wasm_bindgen;

fn main() {
    incident_lab::start();
}

/// One failure-map cell, for a Web Worker running this same module
/// (assets/sweep-worker.js): a JSON request in, a JSON answer out. Its JS
/// name has no underscore, so the dist step's renaming leaves it alone.
#[wasm_bindgen(js_name = sweepCell)]
pub fn sweep_cell(request: &str) -> String {
    incident_core::sweep::map::run_cell_request(request)
}
