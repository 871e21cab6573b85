//! Small browser helpers: downloads, storage, the URL, timing.

use wasm_bindgen::JsCast;

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

pub fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

pub fn device_pixel_ratio() -> f64 {
    let r = window().device_pixel_ratio();
    if r.is_finite() && r > 0.0 {
        r.min(4.0)
    } else {
        1.0
    }
}

pub fn query() -> String {
    window().location().search().unwrap_or_default()
}

/// At most one URL write in this time; later ones wait. Chromium fetches and
/// decodes the page's icon again after every `replaceState` (about 20 ms a
/// write at a 4x slower CPU, measured in a trace), and a drag or playback
/// changes the query every frame.
const URL_WRITE_EVERY_MS: f64 = 250.0;

#[derive(Default)]
struct UrlWrites {
    last_ms: Option<f64>,
    pending: Option<String>,
    timer_armed: bool,
}

thread_local! {
    static URL_WRITES: std::cell::RefCell<UrlWrites> = std::cell::RefCell::new(UrlWrites::default());
}

/// Replaces the URL's query without a reload or a history entry: at once
/// when the last write is `URL_WRITE_EVERY_MS` old, else once that has
/// passed (or at `flush_query`), with the latest query.
pub fn replace_query(query: &str) {
    let now = now_ms();
    let write_now = URL_WRITES.with(|w| {
        let mut w = w.borrow_mut();
        let quiet = w
            .last_ms
            .is_none_or(|last| now - last >= URL_WRITE_EVERY_MS);
        if quiet {
            w.pending = None;
            return true;
        }
        w.pending = Some(query.to_string());
        if !w.timer_armed {
            w.timer_armed = true;
            let wait_ms = URL_WRITE_EVERY_MS - (now - w.last_ms.unwrap_or(now));
            leptos::prelude::set_timeout(
                || {
                    URL_WRITES.with(|w| w.borrow_mut().timer_armed = false);
                    flush_query();
                },
                std::time::Duration::from_millis(wait_ms.max(0.0) as u64),
            );
        }
        false
    });
    if write_now {
        write_query(query);
    }
}

/// Writes a waiting query now: once a change's run is on screen, its link
/// is too.
pub fn flush_query() {
    if let Some(query) = URL_WRITES.with(|w| w.borrow_mut().pending.take()) {
        write_query(&query);
    }
}

/// Nothing to do when it is already the query (as at start-up).
fn write_query(query: &str) {
    let location = window().location();
    if location.search().is_ok_and(|q| q == query) {
        return;
    }
    URL_WRITES.with(|w| w.borrow_mut().last_ms = Some(now_ms()));
    let path = location.pathname().unwrap_or_default();
    let url = format!("{path}{query}");
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The page's URL with this query, for sharing.
pub fn url_with_query(query: &str) -> String {
    let location = window().location();
    format!(
        "{}{}{}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default(),
        query
    )
}

pub fn storage_get(key: &str) -> Option<String> {
    window()
        .local_storage()
        .ok()
        .flatten()?
        .get_item(key)
        .ok()
        .flatten()
}

pub fn storage_set(key: &str, value: &str) {
    if let Some(s) = window().local_storage().ok().flatten() {
        let _ = s.set_item(key, value);
    }
}

pub fn prefers_dark() -> bool {
    window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

fn click_download(href: &str, filename: &str) {
    let document = window().document().expect("a document");
    if let Ok(a) = document.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(href);
        a.set_download(filename);
        a.set_attribute("hidden", "").ok();
        if let Some(body) = document.body() {
            let _ = body.append_child(&a);
            a.click();
            let _ = body.remove_child(&a);
        }
    }
}

/// Offers text as a file download.
pub fn download_text(filename: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    click_download(&url, filename);
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Offers a canvas as a PNG download.
pub fn download_canvas(canvas: &web_sys::HtmlCanvasElement, filename: &str) {
    if let Ok(url) = canvas.to_data_url_with_type("image/png") {
        click_download(&url, filename);
    }
}

thread_local! {
    static YIELD_QUEUE: std::cell::RefCell<std::collections::VecDeque<Box<dyn FnOnce()>>> =
        Default::default();
    static YIELD_PORT: Option<web_sys::MessagePort> = yield_port();
}

/// A message channel whose every message runs the next queued callback.
fn yield_port() -> Option<web_sys::MessagePort> {
    let channel = web_sys::MessageChannel::new().ok()?;
    let on_message = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(|| {
        let next = YIELD_QUEUE.with(|q| q.borrow_mut().pop_front());
        if let Some(f) = next {
            f();
        }
    });
    channel
        .port1()
        .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the page.
    on_message.forget();
    Some(channel.port2())
}

/// Runs `f` in a new task, after the browser has had a chance to handle
/// input and paint. Unlike `setTimeout(0)`, a message is not clamped to
/// 4 ms when tasks chain, so slices of work follow each other closely.
pub fn yield_then(f: impl FnOnce() + 'static) {
    let posted = YIELD_PORT.with(|port| {
        port.as_ref()
            .is_some_and(|p| p.post_message(&wasm_bindgen::JsValue::NULL).is_ok())
    });
    if posted {
        YIELD_QUEUE.with(|q| q.borrow_mut().push_back(Box::new(f)));
    } else {
        leptos::prelude::set_timeout(f, std::time::Duration::ZERO);
    }
}

/// Slice length until the page's first run is on screen, and always for
/// background work.
pub const LOAD_SLICE_MS: f64 = 10.0;

thread_local! {
    static FIRST_SCREEN_DRAWN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Called once the first run's charts are drawn.
pub fn mark_first_screen_drawn() {
    FIRST_SCREEN_DRAWN.with(|d| d.set(true));
}

/// Whether the first run's charts are on screen.
pub fn first_screen_drawn() -> bool {
    FIRST_SCREEN_DRAWN.with(|d| d.get())
}

/// How long one slice of work (a run, the charts) may hold the thread. While
/// the page loads, 10 ms: it must answer a first input at once, and
/// Lighthouse models a slow phone by scaling every task of the load four
/// times. Afterwards `settled_ms`: slices are measured in wall time, so they
/// stay that short on a slow CPU too, and fewer yields mean fewer frames of
/// the whole page between a learner's change and its charts.
pub fn slice_ms(settled_ms: f64) -> f64 {
    if first_screen_drawn() {
        settled_ms
    } else {
        LOAD_SLICE_MS
    }
}

/// The page's wasm linear memory, in bytes. It grows and never shrinks, so
/// over a long session it is the high-water mark: a leak shows as growth.
pub fn wasm_memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        const PAGE_BYTES: usize = 65_536;
        (core::arch::wasm32::memory_size::<0>() * PAGE_BYTES) as f64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// Records a number for tests and benchmarks under `window.__incidentLab[key]`.
pub fn record_metric(key: &str, value: f64) {
    let w = window();
    let root = js_sys::Reflect::get(&w, &"__incidentLab".into())
        .ok()
        .filter(|v| v.is_object())
        .unwrap_or_else(|| {
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&w, &"__incidentLab".into(), &o);
            o.into()
        });
    let list = js_sys::Reflect::get(&root, &key.into())
        .ok()
        .filter(js_sys::Array::is_array)
        .unwrap_or_else(|| {
            let a = js_sys::Array::new();
            let _ = js_sys::Reflect::set(&root, &key.into(), &a);
            a.into()
        });
    let list: js_sys::Array = list.unchecked_into();
    list.push(&value.into());
    // Bounded: keep the last 500.
    while list.length() > 500 {
        list.shift();
    }
}

/// A new seed for the learner's run, below a million so that it reads well
/// in a link. From the OS's randomness (getrandom: the browser's
/// `crypto.getRandomValues`); the model itself never asks for any.
pub fn random_seed() -> u64 {
    const SEED_RANGE: u64 = 1_000_000;
    // getrandom fails only where the platform has no random source; the
    // page's clock is then a fair stand-in for a seed a person asked for.
    let raw = getrandom::u64().unwrap_or_else(|_| now_ms().to_bits());
    raw % SEED_RANGE
}

/// Fetches a file next to the page as text; the error says what failed.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    use wasm_bindgen_futures::JsFuture;
    let response = JsFuture::from(window().fetch_with_str(url))
        .await
        .map_err(|_| format!("{url} could not be fetched (offline?)"))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| format!("{url}: not an HTTP response"))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let text = response
        .text()
        .map_err(|_| format!("{url}: the body could not be read"))?;
    let text = JsFuture::from(text)
        .await
        .map_err(|_| format!("{url}: the body could not be read"))?;
    text.as_string()
        .ok_or_else(|| format!("{url}: the body is not text"))
}

/// Opens the browser's print dialog (for the lesson handout).
pub fn print() {
    let _ = window().print();
}

/// The `attr` of the nearest element, at or above the click, that has it,
/// looking no higher than the element the handler is on: one click handler
/// serves a list of buttons rendered as HTML (`crate::html`).
pub fn clicked_attr(ev: &web_sys::Event, attr: &str) -> Option<String> {
    let target: web_sys::Element = ev.target()?.dyn_into().ok()?;
    let hit = target.closest(&format!("[{attr}]")).ok().flatten()?;
    let within = ev
        .current_target()
        .and_then(|c| c.dyn_into::<web_sys::Node>().ok())
        .is_some_and(|c| c != *hit.as_ref() && c.contains(Some(&hit)));
    if within {
        hit.get_attribute(attr)
    } else {
        None
    }
}

pub fn scroll_to_top() {
    window().scroll_to_with_x_and_y(0.0, 0.0);
}

/// The tab's title: what a learner sees in the tab strip and a screen
/// reader announces first.
pub fn set_title(title: &str) {
    if let Some(d) = window().document() {
        if d.title() != title {
            d.set_title(title);
        }
    }
}

/// Whether a key press belongs to a control the learner is typing or
/// choosing in, so the page's own shortcuts stay out of its way.
pub fn typing_in(ev: &web_sys::KeyboardEvent) -> bool {
    let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    let tag = el.tag_name().to_ascii_lowercase();
    matches!(
        tag.as_str(),
        "input" | "textarea" | "select" | "button" | "summary" | "a"
    ) || el.has_attribute("contenteditable")
}

/// Draws into a canvas that is not on the page, at a given CSS size, and
/// returns it as a PNG data URL (the handout's chart images).
pub fn offscreen_png(
    width: u32,
    height: u32,
    draw: impl FnOnce(&web_sys::HtmlCanvasElement),
) -> Option<String> {
    let canvas: web_sys::HtmlCanvasElement = window()
        .document()?
        .create_element("canvas")
        .ok()?
        .dyn_into()
        .ok()?;
    canvas.set_width(width);
    canvas.set_height(height);
    draw(&canvas);
    canvas.to_data_url_with_type("image/png").ok()
}
