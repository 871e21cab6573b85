// Minifies wasm-bindgen's JS glue in a built site, in place, and updates the
// subresource-integrity hash index.html gives for it (trunk does not minify
// this file). Usage: node minify-glue.mjs DIST TOOLS_DIR
// Prints one line: the file, and its size before and after.
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

const glue = readdirSync(dist).filter((f) => f.endsWith(".js"));
if (glue.length !== 1) {
  console.error(`expected one .js file in ${dist}, found ${glue.length}`);
  process.exit(1);
}
const jsPath = join(dist, glue[0]);
const before = readFileSync(jsPath);
// An ES module: top-level names are exports or private to it.
const out = await minify(before.toString("utf8"), {
  module: true,
  compress: { passes: 2 },
  mangle: true,
  format: { comments: false },
});
writeFileSync(jsPath, out.code);

const htmlPath = join(dist, "index.html");
const html = readFileSync(htmlPath, "utf8");
const oldHash = sri(before);
if (html.includes(oldHash)) {
  writeFileSync(htmlPath, html.split(oldHash).join(sri(Buffer.from(out.code))));
} else if (html.includes("integrity=")) {
  console.error(`index.html has no integrity hash for ${glue[0]} to update`);
  process.exit(1);
}
console.log(`${glue[0]}: ${before.length} -> ${Buffer.byteLength(out.code)} bytes`);
