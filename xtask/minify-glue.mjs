// Shrinks a built site's wasm-bindgen output in place, and updates the
// subresource-integrity hashes index.html gives for it (trunk does neither):
// 1. Renames the names the wasm and its JS glue share — imports like
//    `__wbg_addEventListener_847fd86b8c33ec43`, exports like
//    `__wbindgen_malloc` — to one or two letters, in both files, as
//    Emscripten does. The hash suffixes do not compress: about 6 KB of gzip.
// 2. Minifies the glue with terser (about 2 KB of gzip).
// Usage: node minify-glue.mjs DIST TOOLS_DIR
// Prints one line: the files, and their sizes before and after.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const [dist, tools] = process.argv.slice(2);
if (!dist || !tools) {
  console.error("usage: node minify-glue.mjs DIST TOOLS_DIR");
  process.exit(2);
}
const { minify } = createRequire(resolve(tools, "package.json"))("terser");

const sri = (bytes) => "sha384-" + createHash("sha384").update(bytes).digest("base64");

const fail = (message) => {
  console.error(message);
  process.exit(1);
};
const only = (suffix) => {
  const found = readdirSync(dist).filter((f) => f.endsWith(suffix));
  if (found.length !== 1) fail(`expected one ${suffix} file in ${dist}, found ${found.length}`);
  return found[0];
};
const jsName = only(".js");
const jsPath = join(dist, jsName);
const wasmName = only(".wasm");
const wasmPath = join(dist, wasmName);
const before = readFileSync(jsPath);
const wasmBefore = readFileSync(wasmPath);

// --- 1. Short names for the imports and exports the two files share. ---

function readLeb(bytes, at) {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return [value, at];
  }
}

function leb(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

// Where an import's description ends: function, table, memory, global.
function skipImportDescription(bytes, at) {
  const kind = bytes[at++];
  const limits = (p) => {
    const flags = bytes[p++];
    [, p] = readLeb(bytes, p);
    if (flags & 1) [, p] = readLeb(bytes, p);
    return p;
  };
  if (kind === 0) return readLeb(bytes, at)[1];
  if (kind === 1) return limits(at + 1);
  if (kind === 2) return limits(at);
  if (kind === 3) return at + 2;
  fail(`${wasmName}: import of unknown kind ${kind}`);
}

// `a`…`Z`, then `a0`…`Z9`: never a JS keyword, never `__proto__`.
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const shortName = (i) =>
  i < LETTERS.length ? LETTERS[i] : LETTERS[Math.floor((i - LETTERS.length) / 10) % LETTERS.length] + ((i - LETTERS.length) % 10);
const MAX_RENAMED = LETTERS.length * 11;

let source = before.toString("utf8");
const renamed = new Map();
const wordIn = (name, text) => new RegExp(`\\b${name}\\b`).test(text);

// Rewrites the names in one import (2) or export (7) section.
function renameSection(id, body) {
  let [count, at] = readLeb(body, 0);
  const out = [...leb(count)];
  const name = () => {
    const [length, start] = readLeb(body, at);
    at = start + length;
    return new TextDecoder().decode(body.subarray(start, at));
  };
  const push = (text) => out.push(...leb(Buffer.byteLength(text)), ...Buffer.from(text));
  for (let i = 0; i < count; i++) {
    if (id === 2) push(name());
    const field = name();
    let next = field;
    // Only wasm-bindgen's own names (`__wbg_…`, `intounderlyingsink_close`:
    // all have an underscore), never a plain word such as `memory`.
    if (/^[A-Za-z_][A-Za-z0-9_]{3,}$/.test(field) && field.includes("_")) {
      if (!wordIn(field, source)) {
        if (id === 2) fail(`${wasmName}: the glue does not provide the import ${field}`);
      } else {
        if (!renamed.has(field)) {
          if (renamed.size >= MAX_RENAMED) fail(`${wasmName}: more than ${MAX_RENAMED} names to rename`);
          renamed.set(field, shortName(renamed.size));
        }
        next = renamed.get(field);
      }
    }
    push(next);
    const end = id === 2 ? skipImportDescription(body, at) : readLeb(body, at + 1)[1];
    out.push(...body.subarray(at, end));
    at = end;
  }
  return Buffer.from(out);
}

const sections = [wasmBefore.subarray(0, 8)];
for (let at = 8; at < wasmBefore.length; ) {
  const id = wasmBefore[at];
  const [size, start] = readLeb(wasmBefore, at + 1);
  let body = wasmBefore.subarray(start, start + size);
  if (id === 2 || id === 7) body = renameSection(id, body);
  sections.push(Buffer.from([id, ...leb(body.length)]), body);
  at = start + size;
}
const wasmAfter = Buffer.concat(sections);
// Longest first, whole words only: no name is a part of another's.
for (const [name, short] of [...renamed].sort((a, b) => b[0].length - a[0].length)) {
  source = source.replace(new RegExp(`\\b${name}\\b`, "g"), short);
}
writeFileSync(wasmPath, wasmAfter);

// --- 2. Terser. An ES module: top-level names are exports or private to it. ---
const out = await minify(source, {
  module: true,
  compress: { passes: 2 },
  mangle: true,
  format: { comments: false },
});
writeFileSync(jsPath, out.code);

const htmlPath = join(dist, "index.html");
let html = readFileSync(htmlPath, "utf8");
for (const [file, old, now] of [
  [jsName, before, Buffer.from(out.code)],
  [wasmName, wasmBefore, wasmAfter],
]) {
  const oldHash = sri(old);
  if (html.includes(oldHash)) {
    html = html.split(oldHash).join(sri(now));
  } else if (html.includes("integrity=")) {
    fail(`index.html has no integrity hash for ${file} to update`);
  }
}
writeFileSync(htmlPath, html);
console.log(
  `${jsName}: ${before.length} -> ${Buffer.byteLength(out.code)} bytes; ` +
    `${wasmName}: ${wasmBefore.length} -> ${wasmAfter.length} bytes, ${renamed.size} names shortened`,
);
