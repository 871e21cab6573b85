//! A flagd stand-in on loopback: the OFREP single-flag evaluation endpoint
//! (`POST /ofrep/v1/evaluate/flags/{key}`) answering with the scenario's
//! flags, which the timeline may change during the run.

use incident_core::scenario::FlagSpec;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub type Flags = Arc<Mutex<BTreeMap<String, FlagSpec>>>;

/// Requests larger than this are not flag evaluations.
const MAX_REQUEST_BYTES: usize = 16 * 1024;

pub fn evaluate(flags: &Flags, key: &str) -> (u16, String) {
    let flags = flags.lock().unwrap_or_else(|e| e.into_inner());
    match flags.get(key) {
        Some(f) => (
            200,
            format!(
                "{{\"key\":\"{key}\",\"value\":{},\"variant\":\"{}\",\"reason\":\"STATIC\"}}",
                f.value(),
                f.default_variant
            ),
        ),
        None => (
            404,
            format!("{{\"key\":\"{key}\",\"errorCode\":\"FLAG_NOT_FOUND\"}}"),
        ),
    }
}

/// Serves until the task is dropped; returns the port it listens on.
pub async fn serve(flags: Flags) -> std::io::Result<(u16, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                continue;
            };
            let flags = flags.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; MAX_REQUEST_BYTES];
                let mut len = 0;
                // Read the head (and whatever body came with it).
                while len < buf.len() {
                    match socket.read(&mut buf[len..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => len += n,
                    }
                    if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let head = String::from_utf8_lossy(&buf[..len]);
                let line = head.lines().next().unwrap_or("");
                let path = line.split_whitespace().nth(1).unwrap_or("");
                let (status, body) = match path.strip_prefix("/ofrep/v1/evaluate/flags/") {
                    Some(key) => evaluate(&flags, key),
                    None => (404, "{\"errorCode\":\"GENERAL\"}".to_string()),
                };
                let reply = format!(
                    "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    if status == 200 { "OK" } else { "Not Found" },
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Ok((port, task))
}
