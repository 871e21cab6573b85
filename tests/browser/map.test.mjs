// The failure map in headless Chromium: its cells are the CLI's sweep, its
// link opens it again, a cell opens its run, and a newer map drops an older.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { drawCount, hashOf, launch, openPage, ready, typeParam } from './lib.mjs';

const FLAG = 'flags.kafkaQueueProblems.variants.on';
const X = `${FLAG}=500..2000:3:log`;
const Y = 'workload.users=10..50:2:log';
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/// `incident sweep` over the map's axes, rows (y) first as the map is.
function nativeSweep(preset, x, y) {
  const bin = process.env.INCIDENT_BIN;
  assert.ok(bin, 'INCIDENT_BIN must point at the native `incident` binary');
  const out = execFileSync(bin, ['sweep', preset, '--vary', y, '--vary', x, '--format', 'json'], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

async function mapDone(page) {
  await page.waitForSelector('#map[data-map-status="done"]', { timeout: 120_000 });
}

/// Each drawn cell's trace hash, by its index in the grid.
async function cellHashes(page) {
  return page.evaluate(() => {
    const out = {};
    for (const b of document.querySelectorAll('#map td[data-trace-hash] button[data-cell]')) {
      out[Number(b.dataset.cell)] = b.closest('td').dataset.traceHash;
    }
    return out;
  });
}

const mapQuery = (preset, x, y) => `?preset=${preset}&map=${encodeURIComponent(`${x};${y}`)}`;

test("the map's cells are the CLI's sweep, cell for cell, and its link draws it again", async () => {
  const native = nativeSweep('checkout-spike', X, Y);
  const { page, context, problems } = await openPage(browser, mapQuery('checkout-spike', X, Y));
  await mapDone(page);
  const hashes = await cellHashes(page);
  assert.equal(Object.keys(hashes).length, native.cells.length);
  native.cells.forEach((cell, i) => assert.equal(hashes[i], cell.trace_hash, `cell ${i}: ${JSON.stringify(cell.set)}`));
  // The first layer's text is the CLI's first measure, as the map rounds it.
  const texts = await page.$$eval('#map button[data-cell]', (bs) => bs.map((b) => [Number(b.dataset.cell), b.firstChild.textContent]));
  for (const [i, text] of texts) {
    const minutes = native.cells[i].measures[native.measures[0]];
    assert.equal(text, minutes === null ? '–' : minutes.toFixed(1), `cell ${i}`);
  }
  // The address now names the map; opened afresh, it draws the same cells.
  const again = await openPage(browser, new URL(page.url()).search);
  await mapDone(again.page);
  assert.deepEqual(await cellHashes(again.page), hashes);
  assert.deepEqual([...problems, ...again.problems], []);
  await again.context.close();
  await context.close();
});

test('a cell opens its run in the dashboard', async () => {
  const { page, context, problems } = await openPage(browser, mapQuery('checkout-spike', X, Y));
  await mapDone(page);
  const cell = page.locator('#map button[data-cell="4"]');
  const want = await cell.evaluate((b) => b.closest('td').dataset.traceHash);
  const before = await drawCount(page);
  await cell.click();
  await ready(page, before);
  assert.equal(await hashOf(page), want);
  assert.match(page.url(), /workload\.users=50/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a newer map drops the older one, and a changed scenario says the map is stale', async () => {
  const { page, context, problems } = await openPage(browser, '?preset=checkout-gradual');
  // The default map (120 runs of 25 minutes), then at once a small one.
  await page.click('#map button[data-draw]');
  await page.waitForSelector('#map[data-map-status="running"]');
  await page.selectOption('#map select[name="y"]', 'services.checkout.go.gogc');
  await page.click('#map button[data-draw]');
  await mapDone(page);
  const native = nativeSweep('checkout-gradual', `${FLAG}=100..5000:12:log`, 'services.checkout.go.gogc=25..400:8:lin');
  const hashes = await cellHashes(page);
  assert.equal(Object.keys(hashes).length, native.cells.length, 'only the newer map is on screen');
  native.cells.forEach((cell, i) => assert.equal(hashes[i], cell.trace_hash, `cell ${i}`));
  assert.equal(await page.locator('#map .map-stale').count(), 0);
  // One of the map's own axes: the map still holds.
  await typeParam(page, FLAG, 700);
  assert.equal(await page.locator('#map .map-stale').count(), 0);
  // Anything else: the map says it is stale.
  await typeParam(page, 'workload.users', 40);
  assert.equal(await page.locator('#map .map-stale').count(), 1, 'the map says it is stale');
  assert.deepEqual(problems, []);
  await context.close();
});

test("the gradual-leak lesson's map step hides the map until its question is answered, then draws it", async () => {
  const bin = process.env.INCIDENT_BIN;
  const lesson = JSON.parse(
    execFileSync(bin, ['lessons', 'check', new URL('../../assets/lessons/', import.meta.url).pathname, '--format', 'json'], { encoding: 'utf8' }),
  ).lessons.find((l) => l.name === 'gradual-leak');
  const step = lesson.steps.find((s) => s.title === 'The whole table at once');
  assert.ok(step, 'the lesson has its map step');
  const { page, context, problems } = await openPage(browser, `?lesson=gradual-leak&step=${step.step}`);
  await page.waitForSelector(`.lesson[data-step="${step.step}"]`);
  assert.equal(await page.locator('#map').isVisible(), false, 'the map would answer the question');
  const form = page.locator('form.question');
  await form.locator('input[name="answer"]').fill(String(step.question.expected));
  await form.locator('button[type="submit"]').click();
  await mapDone(page);
  assert.equal(await page.locator('#map').isVisible(), true);
  assert.equal(await page.locator('#map .map-marks li').count(), 5, "seed 001's five rows");
  assert.equal(await page.locator('#map td[data-trace-hash]').count(), 120);
  assert.deepEqual(problems, []);
  await context.close();
});
