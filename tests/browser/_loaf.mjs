import { launch, ready } from './lib.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
await context.addInitScript(() => { window.__loaf = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__loaf.push({ d: e.duration, block: e.blockingDuration, render: e.renderStart ? e.startTime + e.duration - e.renderStart : 0, style: e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0, scripts: e.scripts.map(s => `${s.invoker}:${s.duration.toFixed(0)}`).join(' ') }); }).observe({ type: 'long-animation-frame', buffered: true }); });
const page = await context.newPage();
await page.goto(`${process.env.BASE_URL}?preset=${process.env.PRESET ?? 'checkout-flag-2000'}`);
await ready(page); await sleep(6000);
await page.evaluate(() => (window.__loaf = []));
const slider = page.locator('.controls .control input[type="range"]').first();
const box = await slider.boundingBox(); const y = box.y + box.height / 2;
await page.mouse.move(box.x + box.width * 0.5, y); await page.mouse.down();
for (let i = 0; i <= 30; i++) { await page.mouse.move(box.x + box.width * (0.5 - 0.3 * Math.sin((i / 30) * Math.PI)), y); await sleep(16); }
await page.mouse.up(); await sleep(1500);
const l = await page.evaluate(() => window.__loaf);
for (const e of l.filter(e => e.d > 50)) console.log(JSON.stringify(e));
await browser.close();
