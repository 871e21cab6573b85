//! A small static file server for tests: loopback only, serves a directory
//! under a path prefix (as GitHub Pages would), gzip when the client asks.
//! It stops when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub struct StaticServer {
    pub port: u16,
    pub prefix: String,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "toml" | "md" | "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

fn compressible(kind: &str) -> bool {
    kind.starts_with("text/")
        || kind.contains("javascript")
        || kind.contains("wasm")
        || kind.contains("json")
        || kind.contains("svg")
}

impl StaticServer {
    pub fn start(root: PathBuf, prefix: &str) -> Result<StaticServer, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let prefix = format!("/{}/", prefix.trim_matches('/'));
        let served_prefix = prefix.clone();
        let handle = std::thread::spawn(move || {
            while !stop_flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let root = root.clone();
                        let prefix = served_prefix.clone();
                        std::thread::spawn(move || {
                            let _ = serve(stream, &root, &prefix);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(StaticServer {
            port,
            prefix,
            stop,
            handle: Some(handle),
        })
    }

    /// The site's base URL, ending in a slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port, self.prefix)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    kind: &str,
    body: &[u8],
    gzip: bool,
) -> std::io::Result<()> {
    let encoding = if gzip {
        "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
    } else {
        ""
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n{encoding}Cache-Control: max-age=3600\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)
}

fn serve(mut stream: TcpStream, root: &Path, prefix: &str) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let (request_line, accepts_gzip) = read_request(&stream)?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return respond_text(&mut stream, "405 Method Not Allowed", b"GET only");
    }
    let path = target.split(['?', '#']).next().unwrap_or("/");
    if path == prefix.trim_end_matches('/') {
        let location = format!(
            "HTTP/1.1 301 Moved Permanently\r\nLocation: {prefix}\r\nContent-Length: 0\r\n\r\n"
        );
        return stream.write_all(location.as_bytes());
    }
    let Some(relative) = path.strip_prefix(prefix) else {
        return respond_text(&mut stream, "404 Not Found", b"not under the site's prefix");
    };
    let Some(candidate) = site_path(relative) else {
        return respond_text(&mut stream, "400 Bad Request", b"bad path");
    };
    let file = root.join(candidate);
    let Some(body) = read_file(&file)? else {
        return respond_text(&mut stream, "404 Not Found", b"not found");
    };
    let kind = content_type(&file);
    if accepts_gzip && compressible(kind) {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&body)?;
        let gz = enc.finish()?;
        return respond(&mut stream, "200 OK", kind, &gz, true);
    }
    respond(&mut stream, "200 OK", kind, &body, false)
}

/// The request line, and whether the client takes gzip; the other headers
/// are read and dropped.
fn read_request(stream: &TcpStream) -> std::io::Result<(String, bool)> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut accepts_gzip = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if lower.starts_with("accept-encoding:") && lower.contains("gzip") {
            accepts_gzip = true;
        }
    }
    Ok((request_line, accepts_gzip))
}

/// The file a path under the prefix names (index.html for the prefix
/// itself); `None` when it would step outside the site.
fn site_path(relative: &str) -> Option<&Path> {
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    let candidate = Path::new(relative);
    candidate
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(candidate)
}

/// A regular file's contents; `None` when there is no such file.
fn read_file(file: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    match std::fs::File::open(file) {
        Ok(mut f) if file.is_file() => {
            f.read_to_end(&mut body)?;
            Ok(Some(body))
        }
        _ => Ok(None),
    }
}

fn respond_text(stream: &mut TcpStream, status: &str, body: &[u8]) -> std::io::Result<()> {
    respond(stream, status, "text/plain", body, false)
}
