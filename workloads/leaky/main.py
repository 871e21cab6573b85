"""The seed-004 leaky service: three classic Python memory leaks behind an
admin API, with tracemalloc to find them. Standard library only, so it runs
on any Python 3.9+ (in the harness's local image, the host's own Python).

    PORT=8080 python3 main.py

GET  /api/data                  a request; each leak that is on keeps part of it
GET  /health
GET  /metrics                   Prometheus text: RSS, leak sizes, requests
GET  /admin/memory              process RSS and tracemalloc totals
GET  /admin/leaks/status        each leak: enabled, items, bytes
POST /admin/leaks/{cache|listeners|history}   {"enabled": true|false}
POST /admin/leaks/clear         {"leak_type": "cache"|"listeners"|"history"|"all"}
POST /admin/gc                  gc.collect()
GET  /admin/memory/snapshot     tracemalloc: top allocation sites by line
GET  /admin/memory/diff         what grew since the previous diff (the first call sets the baseline)
"""

import gc
import json
import os
import sys
import threading
import time
import tracemalloc
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Bytes each leak keeps per request, as the simulator's preset has them.
CACHE_BYTES = int(os.environ.get("CACHE_BYTES_PER_REQUEST", 10 * 1024))
LISTENER_BYTES = int(os.environ.get("LISTENER_BYTES_PER_REQUEST", 3 * 1024))
HISTORY_BYTES = int(os.environ.get("HISTORY_BYTES_PER_REQUEST", 5 * 1024))
TOP_SITES = 15
MAX_BODY_BYTES = 4096

tracemalloc.start(1)

lock = threading.Lock()
leaks = {"cache": False, "listeners": False, "history": False}
response_cache = {}
request_history = []
requests_served = 0
previous_snapshot = None


class EventBus:
    def __init__(self):
        self.listeners = []


event_bus = EventBus()


def handle_data():
    global requests_served
    request_id = uuid.uuid4().hex
    payload = {"id": request_id, "items": [i * 7 for i in range(32)], "ts": time.time()}
    with lock:
        requests_served += 1
        if leaks["cache"]:
            response_cache[request_id] = payload | {"blob": bytearray(CACHE_BYTES)}
        if leaks["listeners"]:
            state = {"blob": bytearray(LISTENER_BYTES)}

            def on_event(evt, state=state):
                return evt, state

            # A cycle: the listener refers to its state, the state to the listener.
            state["handler"] = on_event
            event_bus.listeners.append(on_event)
        if leaks["history"]:
            record = {"id": request_id, "payload": payload, "blob": bytearray(HISTORY_BYTES)}
            request_history.append(record)
    return payload


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def leak_status():
    with lock:
        return {
            "cache": {"enabled": leaks["cache"], "entries": len(response_cache),
                      "size_bytes": len(response_cache) * CACHE_BYTES},
            "listeners": {"enabled": leaks["listeners"], "count": len(event_bus.listeners),
                          "size_bytes": len(event_bus.listeners) * LISTENER_BYTES},
            "history": {"enabled": leaks["history"], "records": len(request_history),
                        "size_bytes": len(request_history) * HISTORY_BYTES},
        }


def memory():
    current, peak = tracemalloc.get_traced_memory()
    return {
        "process": {"rss_bytes": rss_bytes(), "rss_mb": round(rss_bytes() / 1048576, 2)},
        "tracemalloc": {"current_mb": round(current / 1048576, 2), "peak_mb": round(peak / 1048576, 2)},
        "requests_served": requests_served,
    }


def by_line(stats):
    return [
        {"file": s.traceback[0].filename, "line": s.traceback[0].lineno,
         "size_mb": round(s.size / 1048576, 3), "count": s.count}
        for s in stats[:TOP_SITES]
    ]


def snapshot():
    return {"by_line": by_line(tracemalloc.take_snapshot().statistics("lineno"))}


def diff():
    global previous_snapshot
    current = tracemalloc.take_snapshot()
    if previous_snapshot is None:
        previous_snapshot = current
        return {"baseline": True, "growing_allocations": []}
    stats = current.compare_to(previous_snapshot, "lineno")
    previous_snapshot = current
    growing = [
        {"file": s.traceback[0].filename, "line": s.traceback[0].lineno,
         "size_diff_mb": round(s.size_diff / 1048576, 3), "count_diff": s.count_diff}
        for s in stats if s.size_diff > 0
    ][:TOP_SITES]
    return {"baseline": False, "growing_allocations": growing}


def clear(kind):
    with lock:
        if kind in ("cache", "all"):
            response_cache.clear()
        if kind in ("listeners", "all"):
            # Dropped from the bus, but each sits in a cycle until gc runs.
            event_bus.listeners = []
        if kind in ("history", "all"):
            request_history.clear()


def metrics_text():
    status = leak_status()
    lines = [
        f"process_resident_memory_bytes {rss_bytes()}",
        f"leaky_requests_total {requests_served}",
    ]
    for name, s in status.items():
        lines.append(f'leaky_leak_size_bytes{{leak="{name}"}} {s["size_bytes"]}')
        lines.append(f'leaky_leak_enabled{{leak="{name}"}} {int(s["enabled"])}')
    return "\n".join(lines) + "\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            return None
        raw = self.rfile.read(length) if length else b"{}"
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def do_GET(self):
        path = self.path.split("?")[0]
        routes = {
            "/api/data": handle_data,
            "/health": lambda: {"status": "ok"},
            "/admin/memory": memory,
            "/admin/leaks/status": lambda: {"leaks": leak_status()},
            "/admin/memory/snapshot": snapshot,
            "/admin/memory/diff": diff,
        }
        if path == "/metrics":
            self.send(200, metrics_text(), "text/plain; version=0.0.4")
        elif path in routes:
            self.send(200, routes[path]())
        else:
            self.send(404, {"error": f"no route {path}"})

    def do_POST(self):
        path = self.path.split("?")[0]
        body = self.body()
        if body is None:
            self.send(400, {"error": "the body must be JSON of at most 4 KB"})
            return
        kind = path.rsplit("/", 1)[-1]
        if path.startswith("/admin/leaks/") and kind in leaks:
            enabled = body.get("enabled")
            if not isinstance(enabled, bool):
                self.send(400, {"error": "send {\"enabled\": true} or {\"enabled\": false}"})
                return
            with lock:
                leaks[kind] = enabled
            self.send(200, {"leak": kind, "enabled": enabled})
        elif path == "/admin/leaks/clear":
            kind = body.get("leak_type", "all")
            if kind not in ("cache", "listeners", "history", "all"):
                self.send(400, {"error": "leak_type is one of cache, listeners, history, all"})
                return
            clear(kind)
            self.send(200, {"cleared": kind, "leaks": leak_status()})
        elif path == "/admin/gc":
            self.send(200, {"collected": gc.collect()})
        else:
            self.send(404, {"error": f"no route {path}"})


def main():
    port = int(os.environ.get("PORT", "8080"))
    host = os.environ.get("HOST", "127.0.0.1")
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    print(f"leaky listening on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
