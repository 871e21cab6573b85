// Shared helpers for the browser tests and the bench: Debian's Chromium,
// driven by playwright-core (no browser download), against the built site
// that `cargo xtask test` serves on a loopback port.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:8080/';
export const ARTIFACTS = process.env.ARTIFACTS ?? join(process.cwd(), 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export function url(query = '') {
  return BASE_URL + query;
}

/// A page that records console errors and uncaught exceptions.
export async function openPage(browser, query = '', options = {}) {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1366, height: 768 },
    acceptDownloads: true,
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url(query));
  await ready(page);
  return { page, context, problems };
}

/// Waits until the app has finished simulating and drawn its charts once
/// more than `drawnBefore` times.
export async function ready(page, drawnBefore = 0) {
  await page.waitForSelector('#app[data-status="ready"][data-trace-hash]:not([data-trace-hash=""])', {
    timeout: 60_000,
  });
  await page.waitForFunction(
    (n) => Number(document.querySelector('#charts')?.getAttribute('data-drawn') ?? 0) > n,
    drawnBefore,
    { timeout: 60_000 },
  );
}

export async function hashOf(page) {
  return page.getAttribute('#app', 'data-trace-hash');
}

export async function drawCount(page) {
  return Number((await page.getAttribute('#charts', 'data-drawn')) ?? 0);
}

/// Sets a typed parameter input the way a person does: type, then leave.
export async function typeParam(page, path, value) {
  const before = await drawCount(page);
  const input = page.locator(`.control[data-param="${path}"] input.typed`);
  await input.fill(String(value));
  await input.press('Enter');
  await input.blur();
  await ready(page, before);
}

/// Seconds from load start to the first OOM kill, as the page reports it
/// (`data-seconds` on the headline); null when nothing was killed.
export async function firstOomSeconds(page) {
  const v = await page.getAttribute('#first-oom', 'data-seconds');
  return v === null || v === '' ? null : Number(v);
}

const AXE = new URL('./node_modules/axe-core/axe.min.js', import.meta.url).pathname;

/// axe-core's WCAG 2.1 A and AA violations on the page as it is, one line each.
export async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return result.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.length}× e.g. ${v.nodes[0]?.target?.join(' ')})`,
  );
}

/// Characters on the page outside what Debian's default fonts (DejaVu,
/// Liberation) draw: Basic Latin, Latin-1, and a short list of punctuation
/// and symbols. Anything else may show as an empty box.
export async function missingGlyphs(page) {
  return page.evaluate(() => {
    const allowed = new Set([...'–—‘’“”…·×→←↑↓≈≤≥±−«»•✓€£µ°']);
    const text = document.body.innerText + [...document.querySelectorAll('[aria-label],[title]')]
      .map((e) => (e.getAttribute('aria-label') ?? '') + (e.getAttribute('title') ?? '')).join('');
    const out = new Set();
    for (const c of text) {
      const code = c.codePointAt(0);
      if (code < 0x250 || allowed.has(c) || c === '\n' || c === '\t') continue;
      out.add(c);
    }
    return [...out];
  });
}

/// How far the page is wider than the screen, in pixels.
export async function overflowPx(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}
