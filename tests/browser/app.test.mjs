// The built site in headless Chromium: what a learner and an instructor do.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARTIFACTS,
  axeViolations,
  drawCount,
  firstOomSeconds,
  hashOf,
  launch,
  missingGlyphs,
  openPage,
  overflowPx,
  ready,
  typeParam,
  url,
} from './lib.mjs';

const FLAG = 'flags.kafkaQueueProblems.variants.on';
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/// The native simulator's summary for a preset.
function nativeSummary(preset, extra = []) {
  const bin = process.env.INCIDENT_BIN;
  assert.ok(bin, 'INCIDENT_BIN must point at the native `incident` binary');
  const out = execFileSync(bin, ['simulate', preset, '--format', 'json', ...extra], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/// The landing page, as a newcomer opens it.
async function openLanding(viewport) {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url(''));
  await page.waitForSelector('#app[data-page="landing"]');
  await page.waitForFunction(() => document.querySelectorAll('.landing-lessons .lesson-card').length >= 5);
  return { page, context, problems };
}

test('the first screen says what the lab is and shows the lessons and the gallery above the fold', async () => {
  for (const viewport of [{ width: 1366, height: 768 }, { width: 390, height: 844 }]) {
    const { page, context, problems } = await openLanding(viewport);
    const fold = viewport.height;
    const top = async (sel) => (await page.locator(sel).first().boundingBox()).y;
    assert.match(await page.locator('.hero .lede').textContent(), /simulated in your browser/);
    assert.equal(await page.locator('.landing-lessons .lesson-card').count(), 5);
    assert.ok((await page.locator('.landing-presets [data-preset]').count()) >= 18);
    for (const sel of ['.hero h1', '.landing-lessons .lesson-card', '.landing-presets [data-preset]']) {
      const box = await page.locator(sel).first().boundingBox();
      assert.ok(box.y + box.height <= fold, `${sel} is above the fold at ${viewport.width}×${fold} (${box.y}+${box.height})`);
    }
    assert.ok((await top('.landing-presets')) < fold);
    assert.ok((await overflowPx(page)) <= 1, 'nothing wider than the screen');
    await page.screenshot({ path: join(ARTIFACTS, `landing-${viewport.width}.png`) });
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('the simulator is one step from the landing page, with a guide the first time', async () => {
  const { page, context, problems } = await openLanding({ width: 1366, height: 768 });
  await page.click('#enter');
  await ready(page);
  assert.match(await hashOf(page), /^[0-9a-f]{16}$/);
  assert.ok((await page.locator('#charts canvas[data-ready="true"]').count()) >= 3);
  assert.equal(await page.locator('#fatal').count(), 0);
  assert.equal(await page.locator('#notice').count(), 0, 'a plain visit shows no notice');
  assert.match(await page.locator('.tour').textContent(), /What am I looking at/);
  await page.click('.tour [data-action="tour-done"]');
  assert.equal(await page.locator('.tour').count(), 0);
  await page.reload();
  await ready(page);
  assert.equal(await page.locator('.tour').count(), 0, 'the guide shows once');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the landing page, the dashboard and an embed have no accessibility violations (axe-core)', async () => {
  const landing = await openLanding({ width: 1366, height: 768 });
  assert.deepEqual(await axeViolations(landing.page), [], 'landing');
  await landing.context.close();
  for (const query of ['?preset=checkout-gradual', '?preset=checkout-spike&embed=memory']) {
    const { page, context } = await openPage(browser, query);
    assert.deepEqual(await axeViolations(page), [], query);
    await context.close();
  }
});

test('keyboard: a skip link first, Space plays, N jumps to the next event, arrows step a sample', async () => {
  const { page, context, problems } = await openPage(browser, '?preset=checkout-spike');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('.playback .play').dataset.playing === 'true');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('.playback .play').dataset.playing === 'false');
  await page.evaluate(() => {
    const s = document.querySelector('#scrub');
    s.value = '0';
    s.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.keyboard.press('n');
  const next = Number(await page.inputValue('#scrub'));
  assert.ok(next > 0, `N moved the playhead to ${next}`);
  await page.focus('#scrub');
  const step = Number(await page.getAttribute('#scrub', 'data-step'));
  await page.keyboard.press('ArrowRight');
  assert.ok(Math.abs(Number(await page.inputValue('#scrub')) - next - step) < 1e-6, 'one arrow is one step');
  assert.ok(step >= 5, `a step is a sample or more (${step} s)`);
  assert.match(await page.getAttribute('#scrub', 'aria-valuetext'), /^\d+:\d\d of \d+:\d\d$/);
  const flag = page.locator(`.control[data-param="${FLAG}"] input[type="range"]`);
  assert.equal(await flag.getAttribute('aria-valuetext'), '2000');
  assert.deepEqual(await missingGlyphs(page), [], 'every character is in Debian\'s fonts');
  assert.deepEqual(problems, []);
  await context.close();
});

test('at 1366×768 the memory chart, the pods, the alerts and the events are on one screen, and playback stays in view', async () => {
  const { page, context } = await openPage(browser, '?preset=checkout-gradual&t=700');
  const onScreen = async (sel) => {
    const box = await page.locator(sel).first().boundingBox();
    return box && box.y < 768 && box.y + Math.min(box.height, 60) <= 768;
  };
  for (const sel of ['.chart[data-chart="memory"] canvas.base', '[data-panel="pods"]', '[data-panel="alerts"]', '[data-panel="events"]']) {
    assert.ok(await onScreen(sel), `${sel} is on the first screen`);
  }
  await page.mouse.wheel(0, 2000);
  await page.waitForTimeout(200);
  const bar = await page.locator('.playback').boundingBox();
  assert.ok(bar.y >= -1 && bar.y < 60, `the playback bar stays in view (y=${bar.y})`);
  await context.close();
});

test('alerts show when they fire and when they resolve, and mark the memory chart', async () => {
  const { page, context, problems } = await openPage(browser, '?preset=checkout-gradual');
  await page.evaluate(() => {
    const s = document.querySelector('#scrub');
    s.value = s.max;
    s.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForSelector('.alerts li');
  assert.ok((await page.locator('.alerts .state', { hasText: /^resolved \d+:\d\d$/ }).count()) >= 1, 'a resolved alert says when');
  assert.match(await page.locator('.chart[data-chart="memory"] .legend').textContent(), /alert fired/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the memory chart marks where the kernel reclaims page cache at the limit', async () => {
  // The Python leaks sit at their limit before the kill; the Go checkout's
  // collector keeps it below (crates/core/src/view.rs tests the spans).
  const { page, context, problems } = await openPage(browser, '?preset=python-leaks');
  await page.evaluate(() => {
    const s = document.querySelector('#scrub');
    s.value = s.max;
    s.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForFunction(
    () => /kernel reclaims page cache/.test(document.querySelector('.chart[data-chart="memory"] .legend')?.textContent ?? ''),
  );
  assert.deepEqual(problems, []);
  await context.close();
});

test('no memory alert fires at start-up where memory does not grow', async () => {
  const { page, context } = await openPage(browser, '?preset=not-growing-flag-off');
  await page.evaluate(() => {
    const s = document.querySelector('#scrub');
    s.value = s.max;
    s.dispatchEvent(new Event('input', { bubbles: true }));
  });
  // With the flag off nothing leaks; checkout's latency alert may fire (a
  // PlaceOrder whose write failed waits for the next order's success), but
  // no memory rule does.
  await page.waitForFunction(() => {
    const text = document.querySelector('[data-panel="alerts"]')?.textContent ?? '';
    return text.includes('No alert') || text.includes('latency');
  });
  const text = await page.locator('[data-panel="alerts"]').textContent();
  assert.ok(!/memory at|memory grow|OOM predicted/i.test(text), text);
  await context.close();
});

test('projector mode enlarges the page and travels in the link', async () => {
  const { page, context } = await openPage(browser, '?preset=checkout-spike');
  const before = await drawCount(page);
  await page.click('#projector');
  await ready(page, before);
  assert.match(page.url(), /projector=1/);
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('#app')).fontSize), '20px');
  await context.close();
});

test('dragging the flag from 2000 to 300 draws the CLI\'s run, and at 25 users a leak that OOMs minutes later', async () => {
  const { page, context, problems } = await openPage(browser, '?preset=checkout-spike');
  const spike = await firstOomSeconds(page);
  // 15–30 s after load: the first burst's failed writes block
  // later PlaceOrders until their deadline (checkout-spike's notes).
  assert.ok(spike !== null && spike > 15 && spike < 30, `spike OOM after ${spike} s`);
  const slider = page.locator(`.control[data-param="${FLAG}"] input[type="range"]`);
  const before = await drawCount(page);
  // Position 670 of 1000 on the log slider is a flag of about 300.
  await slider.fill('670');
  await ready(page, before);
  const typed = Number(await page.locator(`.control[data-param="${FLAG}"] input.typed`).inputValue());
  assert.ok(typed > 250 && typed < 350, `slider gave flag ${typed}`);
  // At the spike's 50 users this draw of the load still dies in its first
  // deadline wave; whatever the model says, the page says the same.
  const afterLoad = (summary) =>
    summary.services.find((s) => s.name === 'checkout').first_oom_s - summary.load_started_s;
  const native = afterLoad(nativeSummary('checkout-spike', ['--set', `${FLAG}=${typed}`]));
  const leak = await firstOomSeconds(page);
  assert.ok(leak !== null && Math.abs(leak - native) < 1, `flag ${typed}: page ${leak} s, CLI ${native} s`);
  assert.ok(leak > spike, `flag ${typed} lives longer than 2000: ${leak} s`);
  await typeParam(page, 'workload.users', 25);
  const gradual = await firstOomSeconds(page);
  assert.ok(gradual !== null && gradual > 600 && gradual < 1080, `flag ${typed}, 25 users: OOM after ${gradual} s`);
  assert.match(page.url(), /kafkaQueueProblems/, 'the change is in the address bar');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a share link reopens exactly the same run', async () => {
  const { page, context } = await openPage(browser, '?preset=checkout-gradual');
  await typeParam(page, 'workload.users', 40);
  await page.locator('#scrub').fill('420');
  const hash = await hashOf(page);
  await page.locator('#share').click();
  // The address bar holds the whole state; the share button copies it.
  const link = page.url();
  assert.match(link, /workload\.users=40/);
  const second = await openPage(browser, link.slice(link.indexOf('?')));
  assert.equal(await hashOf(second.page), hash);
  assert.equal(
    await second.page.locator(`.control[data-param="workload.users"] input.typed`).inputValue(),
    '40',
  );
  assert.deepEqual(second.problems, []);
  await second.context.close();
  await context.close();
});

test('the page and the native CLI compute the same trace hash', async () => {
  const cases = [
    ['checkout-spike', '', []],
    ['checkout-gradual', '', []],
    ['sockshop-hybrid', '', []],
    ['python-leaks', '', []],
    ['checkout-spike', `&${FLAG}=500&seed=42`, ['--set', `${FLAG}=500`, '--seed', '42']],
  ];
  for (const [preset, query, args] of cases) {
    const native = nativeSummary(preset, args);
    const { page, context, problems } = await openPage(browser, `?preset=${preset}${query}`);
    assert.equal(await hashOf(page), native.trace_hash, `${preset}${query}`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test('a change made while a run is going cancels that run: only the last one finishes, and it is the CLI\'s', async () => {
  const { page, context, problems } = await openPage(browser, '?preset=sockshop-hybrid');
  // A slow CPU, so the first run is still going when the second change comes.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const finished = () => page.evaluate(() => window.__incidentLab?.simMs?.length ?? 0);
  const runsBefore = await finished();
  const before = await drawCount(page);
  // Straight to the input's change event: Playwright's own checks before a
  // fill can take longer than the run on a throttled page.
  const setUsers = (n) =>
    page.evaluate((value) => {
      const input = document.querySelector('.control[data-param="workload.users"] input.typed');
      input.value = String(value);
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, n);
  await setUsers(600);
  // The run for 600 users is going (a few hundred ms at 4x) when the next change comes.
  await page.waitForSelector('#app[data-status="running"]');
  await setUsers(650);
  await ready(page, before);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  assert.equal(await finished(), runsBefore + 1, 'the run for 600 users was cancelled');
  const native = nativeSummary('sockshop-hybrid', ['--set', 'workload.users=650']);
  assert.equal(await hashOf(page), native.trace_hash);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a long run streams in: its first part is drawn while it runs, marked busy, and no text on the page comes from it', async () => {
  const preset = 'sockshop-hybrid';
  const { page, context, problems } = await openPage(browser, `?preset=${preset}`);
  // A slow CPU, so the run takes many slices.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const summaryBefore = await page.textContent('.summary .headline');
  const hashBefore = await hashOf(page);
  const before = await drawCount(page);
  // What the page showed each time a first part reached the charts, read in
  // the task that drew it.
  await page.evaluate(() => {
    window.__streamed = [];
    const charts = document.querySelector('#charts');
    new MutationObserver(() =>
      window.__streamed.push({
        busy: charts.getAttribute('aria-busy'),
        untilS: Number(charts.getAttribute('data-streamed-until-s')),
        status: document.querySelector('#app').dataset.status,
        hash: document.querySelector('#app').dataset.traceHash,
        summary: document.querySelector('.summary .headline')?.textContent,
        stale: document.querySelector('.summary').classList.contains('stale'),
      }),
    ).observe(charts, { attributes: true, attributeFilter: ['data-streamed'] });
    const input = document.querySelector('.control[data-param="workload.users"] input.typed');
    input.value = '650';
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await ready(page, before);
  const streamed = await page.evaluate(() => window.__streamed);
  const durationS = nativeSummary(preset).duration_s;
  assert.ok(streamed.length >= 1, 'the first part was drawn before the whole run');
  for (const s of streamed) {
    assert.equal(s.busy, 'true', 'the charts say they are still filling in');
    assert.equal(s.status, 'running');
    assert.ok(s.untilS > 0 && s.untilS < durationS, `the first ${s.untilS} s of ${durationS}`);
    assert.equal(s.hash, hashBefore, 'the hash is the whole run before');
    assert.equal(s.summary, summaryBefore, 'the summary is not taken from a partial run');
    assert.ok(s.stale, 'and it is marked as the run before');
  }
  assert.equal(await page.getAttribute('#charts', 'aria-busy'), null);
  assert.equal(await page.getAttribute('#charts', 'data-streamed-until-s'), null);
  assert.equal(await page.locator('.summary.stale').count(), 0);
  const native = nativeSummary(preset, ['--set', 'workload.users=650']);
  assert.equal(await hashOf(page), native.trace_hash);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a bad link shows a notice and loads defaults', async () => {
  const { page, context, problems } = await openPage(
    browser,
    '?preset=no-such-preset&seed=abc&workload.users=9999999&%3Cscript%3E=1&scenario=%%%',
  );
  const notice = await page.locator('#notice').innerText();
  assert.match(notice, /no-such-preset/);
  assert.match(notice, /seed/);
  assert.match(notice, /workload\.users/);
  assert.match(await hashOf(page), /^[0-9a-f]{16}$/, 'the defaults ran');
  assert.equal(await page.locator('#fatal').count(), 0);
  assert.equal(await page.locator('script:not([src])').count() <= 1, true);
  assert.deepEqual(problems, []);
  await context.close();
});

test('embed mode shows one chart and its sliders, and the snippet size shows Play and the scrubber', async () => {
  const { page: full, context: fullContext } = await openPage(browser, '?preset=checkout-spike');
  await full.click('details.embed-help summary');
  const snippet = await full.locator('.embed-help textarea').inputValue();
  const [, width, height] = snippet.match(/width="(\d+)" height="(\d+)"/);
  await fullContext.close();
  const viewport = { width: Number(width), height: Number(height) };
  const { page, context, problems } = await openPage(browser, '?preset=checkout-spike&embed=memory', { viewport });
  assert.equal(await page.getAttribute('#app', 'data-embed'), 'memory');
  assert.equal(await page.locator('#charts canvas[data-ready="true"]').count(), 1);
  assert.ok((await page.locator('.embed-controls input[type="range"]').count()) >= 1);
  assert.equal(await page.locator('.gallery').count(), 0);
  for (const sel of ['.playback .play', '#scrub', '.embed-controls input[type="range"]']) {
    const box = await page.locator(sel).first().boundingBox();
    assert.ok(box.y + box.height <= viewport.height, `${sel} fits the ${width}×${height} frame`);
  }
  assert.ok(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1), 'no scrolling inside the frame');
  await page.screenshot({ path: join(ARTIFACTS, 'embed-memory.png') });
  assert.deepEqual(problems, []);
  await context.close();
  // A chart the scenario does not have is said so.
  const node = await openPage(browser, '?preset=sockshop-hybrid&embed=go', { viewport });
  assert.match(await node.page.locator('#notice').textContent(), /no “Go runtime/);
  assert.equal(await node.page.locator('.chart[data-chart="memory"]').count(), 1);
  await node.context.close();
});

test('CSV export downloads the sampled series', async () => {
  const { page, context } = await openPage(browser, '?preset=checkout-spike');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-csv').click()]);
  assert.equal(download.suggestedFilename(), 'checkout-spike.csv');
  const path = join(ARTIFACTS, 'checkout-spike.csv');
  await download.saveAs(path);
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.match(lines[0], /k8s\.pod\.memory\.working_set/);
  assert.ok(lines.length > 100, `${lines.length} lines`);
  const columns = lines[0].split(',').length;
  assert.ok(lines.slice(1).every((l) => l.split(',').length === columns), 'every row has every column');
  await context.close();
});

test('pinning a run overlays it on the next one', async () => {
  const { page, context, problems } = await openPage(browser, '?preset=checkout-gradual');
  await page.getByRole('button', { name: 'Pin for compare' }).click();
  await typeParam(page, FLAG, 2000);
  assert.match(page.url(), /compare=/);
  const legend = await page.locator('#charts canvas.base').first().getAttribute('data-legend');
  assert.match(legend, /pinned/i, `legend: ${legend}`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a trace from the native CLI imports as the real run, overlaid on the charts', async () => {
  const bin = process.env.INCIDENT_BIN;
  assert.ok(bin, 'INCIDENT_BIN must point at the native `incident` binary');
  const path = join(ARTIFACTS, 'checkout-gradual.trace.json');
  writeFileSync(path, execFileSync(bin, ['simulate', 'checkout-gradual', '--format', 'trace'], { maxBuffer: 1 << 28 }));
  const { page, context, problems } = await openPage(browser, '?preset=checkout-spike');
  await page.locator('input[type=file][accept=".json"]').setInputFiles(path);
  await page.getByText('Overlaying checkout-gradual.trace.json').waitFor();
  assert.match(await page.locator('#notice').innerText(), /model trace of checkout-gradual, \d+ samples/);
  await page.waitForFunction(() => /\(real\)/.test(document.querySelector('#charts canvas.base')?.dataset.legend ?? ''));
  // Not a trace: a notice that says why, and the overlay stays.
  const bad = join(ARTIFACTS, 'not-a-trace.json');
  writeFileSync(bad, '{"format": "something/2"}');
  await page.locator('input[type=file][accept=".json"]').setInputFiles(bad);
  await page.getByText('not-a-trace.json is not a trace').waitFor();
  assert.match(await page.locator('#charts canvas.base').first().getAttribute('data-legend'), /\(real\)/);
  await page.getByRole('button', { name: 'Remove real trace' }).click();
  await page.waitForFunction(() => !/\(real\)/.test(document.querySelector('#charts canvas.base')?.dataset.legend ?? ''));
  assert.deepEqual(problems, []);
  await context.close();
});

test('every preset renders; a full-page screenshot of each is saved', async () => {
  const { page, context } = await openLanding({ width: 1366, height: 768 });
  const presets = await page.locator('[data-preset]').evaluateAll((els) => els.map((e) => e.dataset.preset));
  assert.ok(presets.length >= 18, `${presets.length} presets in the gallery`);
  await context.close();
  for (const preset of presets) {
    const run = await openPage(browser, `?preset=${preset}`);
    assert.match(await hashOf(run.page), /^[0-9a-f]{16}$/, preset);
    await run.page.screenshot({ path: join(ARTIFACTS, `preset-${preset}.png`), fullPage: true });
    assert.deepEqual(run.problems, [], preset);
    await run.context.close();
  }
});

test('switching presets in the gallery, across different chart sets, raises no errors', async () => {
  const { page, context, problems } = await openPage(browser, '?preset=checkout-spike');
  for (const preset of ['python-leaks', 'sockshop-hybrid', 'postgres-disk-iops', 'checkout-gradual']) {
    await page.click(`.card[data-preset="${preset}"]`);
    await page.waitForFunction((p) => new URL(location.href).searchParams.get('preset') === p, preset);
    await ready(page);
    // Let any drawing queued for the replaced charts come due.
    await page.waitForTimeout(300);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('a phone-sized screen in dark mode still works', async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    colorScheme: 'dark',
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  await page.goto(process.env.BASE_URL + '?preset=python-leaks');
  await ready(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: join(ARTIFACTS, 'phone-dark-python-leaks.png'), fullPage: true });
  await context.close();
});

test('the advanced fold sets any parameter, and a bad value is explained', async () => {
  // The gradual leak collects all along, so GOMAXPROCS moves its run.
  const { page, context, problems } = await openPage(browser, '?preset=checkout-gradual');
  const hash = await hashOf(page);
  await page.click('details.advanced summary');
  await page.fill('#adv-filter', 'gomaxprocs');
  const input = page.locator('.params input[data-param="services.checkout.go.gomaxprocs"]');
  await input.waitFor();
  let before = await drawCount(page);
  await input.fill('4');
  await input.press('Enter');
  await ready(page, before);
  assert.notEqual(await hashOf(page), hash, 'GOMAXPROCS 4 is another run');
  assert.match(page.url(), /services\.checkout\.go\.gomaxprocs=4/);
  // The list was drawn again for the new value; a bad one gets the core's words.
  await page.locator('.params input[data-param="services.checkout.go.gomaxprocs"]').fill('0');
  await page.locator('.params input[data-param="services.checkout.go.gomaxprocs"]').press('Enter');
  const error = page.locator('.params li:has(input[data-param="services.checkout.go.gomaxprocs"]) .error');
  await error.waitFor();
  assert.match(await error.textContent(), /below the minimum 1/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a mouse drag on a slider keeps going: every step re-simulates', async () => {
  const { page, context, problems } = await openPage(browser, '?preset=checkout-spike');
  await page.evaluate(() => {
    window.__inputs = 0;
    document.addEventListener('input', () => (window.__inputs += 1), true);
  });
  const slider = page.locator(`.control[data-param="${FLAG}"] input[type="range"]`);
  const box = await slider.boundingBox();
  const y = box.y + box.height / 2;
  const before = await drawCount(page);
  // Press in the middle, then drag left in ten steps, as a hand does.
  await page.mouse.move(box.x + box.width * 0.5, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) {
    await page.mouse.move(box.x + box.width * (0.5 - 0.03 * i), y);
    await page.waitForTimeout(30);
  }
  await page.mouse.up();
  await ready(page, before);
  assert.ok((await page.evaluate(() => window.__inputs)) >= 5, 'the drag was not cut short');
  const position = Number(await slider.inputValue());
  assert.ok(position > 150 && position < 260, `the slider followed the pointer to ${position}`);
  const typed = Number(await page.locator(`.control[data-param="${FLAG}"] input.typed`).inputValue());
  assert.ok(typed < 40, `the flag followed the slider: ${typed}`);
  assert.deepEqual(problems, []);
  await context.close();
});
