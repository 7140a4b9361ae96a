#!/usr/bin/env node
// The admin console's two budget figures, for `make bench` (tests/bench/run
// runs it against its stack):
//
//   node tests/e2e/admin/bench.mjs URL [RUNS]
//
// prints
//   console javascript: N bytes (uncompressed, M files; budget 102400)
//   console first usable paint: N ms (median of RUNS, min A, max B; budget 500)
//
// The size is the sum of nginx/html/admin/*.js as served. The paint is, in a
// fresh browser context each time (nothing cached), the time from the
// navigation's start to the first frame in which the sign-in form is visible
// and its first field enabled (the page's own clock, read at each animation
// frame), on loopback; the driver's view of the same wait is printed beside
// it. RUNS defaults to 15 (and 3 unmeasured
// runs first). CHROMIUM as the tests.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ROOT } from './lib.mjs';

const [url, runsArg] = process.argv.slice(2);
if (!url) {
  console.error('usage: bench.mjs URL [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg || 15);
const dir = join(ROOT, 'nginx/html/admin');
const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
console.log(`console javascript: ${bytes} bytes (uncompressed, ${files.length} files; budget 102400)`);

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
const inPage = [];
const wall = [];
try {
  for (let i = 0; i < runs + 3; i++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const t0 = process.hrtime.bigint();
    await page.goto(`${url}/admin/`, { waitUntil: 'commit' });
    // Checked at every animation frame: the page's own clock (from the
    // navigation's start) at the first frame with the form usable.
    const handle = await page.waitForFunction(() => {
      const input = document.querySelector('#signin-chat-form input[name=email]');
      return input && input.offsetParent !== null && !input.disabled && performance.now();
    }, null, { polling: 'raf' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= 3) {
      inPage.push(await handle.jsonValue());
      wall.push(ms);
    }
    await context.close();
  }
} finally {
  await browser.close();
}
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const f = (x) => x.toFixed(0);
console.log(`console first usable paint: ${f(median(inPage))} ms (median of ${inPage.length} cold loads, `
  + `min ${f(Math.min(...inPage))}, max ${f(Math.max(...inPage))}, from the navigation's start in the page; `
  + `${f(median(wall))} ms as the driver sees it; budget 500)`);
