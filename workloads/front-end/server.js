// The Sock Shop front end as seed 003 meets it: one Node process, one event
// loop, proxying every page to a back end. Under load its sockets and
// in-flight requests pile up while the back end only slows down.
//
//   PORT=8079 BACKEND_URL=http://127.0.0.1:8080 node server.js
//
// Without BACKEND_URL it answers from a built-in catalogue after
// BACKEND_LATENCY_MS, so it runs on its own.

'use strict';
const http = require('node:http');

const PORT = Number(process.env.PORT || 8079);
const HOST = process.env.HOST || '127.0.0.1';
const BACKEND_URL = process.env.BACKEND_URL || '';
const BACKEND_LATENCY_MS = Number(process.env.BACKEND_LATENCY_MS || 20);
// Sock Shop's front end has no limit of its own; a cap keeps a runaway
// test from exhausting the host's file descriptors.
const MAX_CONNECTIONS = Number(process.env.MAX_CONNECTIONS || 4096);
const BACKEND_TIMEOUT_MS = Number(process.env.BACKEND_TIMEOUT_MS || 30000);

const ITEMS = [
  '03fef6ac-1896-4ce8-bd69-b798f85c6e0b',
  '510a0d7e-8e83-4193-b483-e27e09ddc34d',
  '808a2de1-1aaa-4c25-a9b9-6612e8f29a38',
  'd3588630-ad8e-49df-bbd7-3167f7efb246',
].map((id, i) => ({ id, name: `sock ${i + 1}`, price: 7.99 + i }));

let inFlight = 0;
let served = 0;

function send(res, status, body, type = 'application/json') {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

// The back end's answer: proxied when BACKEND_URL is set, else built in.
function backend(path, done) {
  if (!BACKEND_URL) {
    setTimeout(() => {
      const id = path.split('/')[2];
      const body = id ? ITEMS.find((i) => i.id === id) || null : ITEMS;
      done(body ? 200 : 404, body ?? { error: 'not found' });
    }, BACKEND_LATENCY_MS);
    return;
  }
  const req = http.get(BACKEND_URL + path, { timeout: BACKEND_TIMEOUT_MS }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => done(res.statusCode, Buffer.concat(chunks).toString()));
  });
  req.on('timeout', () => req.destroy(new Error('back end timed out')));
  req.on('error', (e) => done(502, { error: e.message }));
}

const PAGES = {
  '/': 'index',
  '/basket.html': 'basket',
  '/login': 'login',
  '/category.html': 'category',
  '/detail.html': 'detail',
};

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/health') return send(res, 200, { status: 'ok', inFlight, served });
  if (path === '/metrics') {
    const mem = process.memoryUsage();
    return send(res, 200, { in_flight: inFlight, served, rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed, connections: server.connections ?? null });
  }
  inFlight += 1;
  const finish = (status, body, type) => {
    inFlight -= 1;
    served += 1;
    send(res, status, body, type);
  };
  if (PAGES[path]) {
    return backend('/catalogue', (status) =>
      finish(status === 200 ? 200 : 502, `<html><body>${PAGES[path]}</body></html>`, 'text/html'));
  }
  if (path === '/catalogue' || path.startsWith('/catalogue/') || path === '/cart' || path === '/orders') {
    return backend(path.startsWith('/catalogue') ? path : '/catalogue', (status, body) => finish(status, body));
  }
  finish(404, { error: `no route ${path}` });
});

server.maxConnections = MAX_CONNECTIONS;
server.listen(PORT, HOST, () => console.log(`front-end listening on ${HOST}:${PORT}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
