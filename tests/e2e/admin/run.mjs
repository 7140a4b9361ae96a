#!/usr/bin/env node
// The admin console's browser tests (nginx/html/admin/), flow by flow, on
// one real stack (tools/stack: FerretDB, the pool, nginx) with Debian's
// Chromium through playwright-core.
//
//   node tests/e2e/admin/run.mjs [FILE...]     (`make test-e2e` runs them all)
//
// FILE: test files of this folder to run (e.g. `users game`), default all,
// in the order below (the database outage last). Environment as
// tests/e2e/invite_register.test.mjs: WARDEN_BIN_DIR, CHROMIUM,
// E2E_OUTPUT_DIR (screenshots go to its e2e-screenshots/), E2E_KEEP_STACK=1;
// WARDEN_FERRETDB, NGINX, STACK_TIMEOUT pass through to tools/stack.
//
// Prints one line per test, the screenshots' folder, axe-core's counts and
// "e2e admin: N passed, N failed"; exits 1 if any test failed, 2 if the
// stack or the browser could not be started.

import { rmSync } from 'node:fs';
import { chromium } from 'playwright-core';
import {
  Stack, CHROMIUM, CHROMIUM_ARGS, SHOTS_DIR, axeResults, chatUser, gameUser, chatToken, clean,
} from './lib.mjs';

const stack = new Stack();

const FILES = ['signin', 'users', 'invites', 'voice', 'guilds', 'game', 'audit', 'security', 'outage'];

async function main() {
  const wanted = process.argv.slice(2).map((a) => a.replace(/(\.test\.mjs)?$/, '').replace(/^.*\//, ''));
  for (const w of wanted) {
    if (!FILES.includes(w)) {
      console.error(`e2e admin: no test file ${w} (have: ${FILES.join(' ')})`);
      return 2;
    }
  }
  const files = wanted.length ? FILES.filter((f) => wanted.includes(f)) : FILES;
  let browser;
  let passed = 0;
  let failed = 0;
  const needsAudit = [];
  try {
    let ctx;
    try {
      const url = stack.start();
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      // The accounts every file may use; each file makes its own as well.
      const staff = chatUser({ staff: true });
      const gameAdmin = gameUser(['Api', 'UserQuery', 'Mute']);
      ctx = { browser, url, stack, staff, staffToken: await chatToken(url, staff), gameAdmin };
      const probe = await fetch(`${url}/api/v6/admin/audit-log?limit=1`, { headers: { Authorization: ctx.staffToken } });
      ctx.auditRoute = probe.status === 200;
    } catch (e) {
      console.error(`e2e admin: set-up failed: ${clean(e.message)}`);
      console.error(`e2e admin: stack directory kept: ${stack.dir}`);
      return 2;
    }
    for (const file of files) {
      const { tests } = await import(`./${file}.test.mjs`);
      for (const t of tests) {
        const [name, fn, options = {}] = t;
        const label = `${file}: ${name}`;
        try {
          await fn(ctx);
          passed++;
          console.log(`ok   ${label}`);
        } catch (e) {
          failed++;
          if (options.needsAuditRoute && !ctx.auditRoute) needsAudit.push(label);
          console.log(`FAIL ${label}\n     ${clean(e.message).split('\n').join('\n     ')}`);
        }
      }
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
    stack.stop();
  }
  console.log(`screenshots in ${SHOTS_DIR}`);
  const serious = axeResults.reduce((n, r) => n + r.serious, 0);
  const all = axeResults.reduce((n, r) => n + r.violations, 0);
  const kinds = [...new Set(axeResults.flatMap((r) => r.ids.map((id) => `${id} on ${r.name}`)))];
  console.log(`axe-core: ${axeResults.length} page states checked (375 and 1440 px), ${serious} serious or critical violations, `
    + `${all} violations in all${kinds.length ? ` (${kinds.join(', ')})` : ''}`);
  if (needsAudit.length) {
    console.log(`note: GET /api/v6/admin/audit-log answers no 200 on this build; these failed for want of it: ${needsAudit.join('; ')}`);
  }
  if (failed || process.env.E2E_KEEP_STACK === '1') console.log(`stack directory kept: ${stack.dir} (logs in log/)`);
  else rmSync(stack.dir, { recursive: true, force: true });
  console.log(`e2e admin: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    console.error(`e2e admin: ${sig}, stopping the stack`);
    stack.stop();
    process.exit(130);
  });
}

main().then((rc) => { process.exitCode = rc; }, (e) => {
  console.error(`e2e admin: ${e.stack || e}`);
  stack.stop();
  process.exitCode = 2;
});
