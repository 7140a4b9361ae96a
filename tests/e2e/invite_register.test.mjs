#!/usr/bin/env node
// Browser test of nginx/html/invite_register.html against the real stack
// (FerretDB, the pool, nginx via tools/stack), driven through Debian's Chromium
// with playwright-core.
//
//   node tests/e2e/invite_register.test.mjs      (from anywhere; `make test-e2e`)
//
// Environment: WARDEN_BIN_DIR (default build/release: warden and wardenctl),
// CHROMIUM (default /usr/bin/chromium), E2E_OUTPUT_DIR (screenshots, default
// build/test-output/e2e), E2E_KEEP_STACK=1 keeps the stack directory (database
// and logs) after a passing run; after a failing one it is always kept.
// WARDEN_FERRETDB, NGINX and STACK_TIMEOUT pass through to tools/stack.
//
// Prints one line per test and a closing "e2e: N passed, N failed"; exits 1
// if any test failed, 2 if the stack or the browser could not be started.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN_DIR = resolve(ROOT, process.env.WARDEN_BIN_DIR || 'build/release');
const OUT_DIR = resolve(ROOT, process.env.E2E_OUTPUT_DIR || 'build/test-output/e2e');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STACK = join(ROOT, 'tools/stack');
const TIMEOUT_MS = 15000;

// Chromium on a closed network: no background connections (they fail and
// stall), no QUIC, no GPU; root in a container needs --no-sandbox.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// The pool and wardenctl sign tokens with it; a fresh one per run.
const env = { ...process.env, WARDEN_SECRET: randomBytes(32).toString('hex') };

function fail(message) {
  throw new Error(message);
}

function check(cond, message) {
  if (!cond) fail(message);
}

// --- the stack ----------------------------------------------------------------

const stackDir = mkdtempSync(join(tmpdir(), 'warden-e2e-'));
let stackStarted = false;

function stopStack() {
  if (!stackStarted) return;
  stackStarted = false;
  const r = spawnSync(STACK, ['stop', '--dir', stackDir], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) console.error(`e2e: tools/stack stop --dir ${stackDir} exited with ${r.status}`);
}

function startStack() {
  // stdio inherited, not piped: the stack's processes outlive `start`.
  stackStarted = true; // a half-started stack is stopped too
  const r = spawnSync(STACK, ['start', '--dir', stackDir, '--bin', BIN_DIR, '--port', 'auto'],
    { env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) fail(`cannot run tools/stack: ${r.error.message}`);
  if (r.status !== 0) fail(`tools/stack start exited with ${r.status} (logs in ${stackDir}/log)`);
  const vars = {};
  for (const line of readFileSync(join(stackDir, 'stack.env'), 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) vars[line.slice(0, i)] = line.slice(i + 1);
  }
  check(vars.WARDEN_URL && vars.WARDEN_MONGODB_URI, `${stackDir}/stack.env lacks WARDEN_URL or WARDEN_MONGODB_URI`);
  env.WARDEN_MONGODB_URI = vars.WARDEN_MONGODB_URI;
  return vars.WARDEN_URL;
}

function makeInvite() {
  let out;
  try {
    out = execFileSync(join(BIN_DIR, 'wardenctl'), ['make-invite', '1'],
      { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    fail(`wardenctl make-invite 1 failed: ${(e.stderr || e.message).trim()}`);
  }
  const code = out.trim();
  check(/^[A-Za-z0-9]{6}$/.test(code), `wardenctl make-invite printed ${JSON.stringify(out)}, not a code`);
  return code;
}

// --- helpers --------------------------------------------------------------------

let serial = 0;
function newUser() {
  const name = `e2e_${Date.now().toString(36)}_${++serial}`;
  return { username: name, email: `${name}@example.org`, password: `pw-${randomBytes(9).toString('hex')}` };
}

async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.pageErrors = [];
  page.on('pageerror', (err) => page.pageErrors.push(err.message));
  return { context, page };
}

async function fillForm(page, user, code) {
  if (code !== undefined) await page.fill('#invcode', code);
  await page.fill('#username', user.username);
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
}

async function text(page, selector) {
  return ((await page.textContent(selector)) || '').trim();
}

function checkToken(token, userId) {
  const parts = token.split('.');
  check(parts.length === 3 && parts.every((p) => /^[A-Za-z0-9+/=_-]+$/.test(p)),
    `token ${JSON.stringify(token)} is not three dot-separated parts`);
  check(/^[0-9]+$/.test(userId), `user id ${JSON.stringify(userId)} is not a decimal string`);
}

async function screenshot(page, name) {
  await page.screenshot({ path: join(OUT_DIR, name), fullPage: true });
}

// --- tests ------------------------------------------------------------------------

async function registers(browser, url, shared) {
  shared.code = makeInvite();
  const { context, page } = await newPage(browser);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  await page.goto(`${url}/invite_register.html?invite=${shared.code}`);
  check(await page.inputValue('#invcode') === shared.code, '?invite= did not fill in the invite code');
  // An invalid pattern is ignored by the browser without a word: compile them
  // as the browser does (anchored, with the v flag).
  const badPatterns = await page.$$eval('input[pattern]', (inputs) => inputs.filter((i) => {
    try { new RegExp(`^(?:${i.pattern})$`, 'v'); return false; } catch { return true; }
  }).map((i) => i.id));
  check(badPatterns.length === 0, `invalid pattern attribute on #${badPatterns.join(', #')}`);
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, '00-form-mobile.png');
  await page.setViewportSize({ width: 900, height: 900 });

  await fillForm(page, newUser());
  await page.click('#submit');
  await page.locator('#token').waitFor({ state: 'visible' });
  const token = await text(page, '#token');
  const userId = await text(page, '#user-id');
  checkToken(token, userId);
  check(await page.locator('#register').isHidden(), 'the form is still shown after success');
  check(await text(page, '#error') === '', `an error is shown after success: ${await text(page, '#error')}`);
  await page.click('#copy');
  await page.locator('#copy-status', { hasText: 'Copied' }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check(copied === token, `the copy button copied ${JSON.stringify(copied)}, not the token`);
  await screenshot(page, '01-registered.png');
  check(page.pageErrors.length === 0, `script errors: ${page.pageErrors.join('; ')}`);
  await context.close();
}

async function inviteExpired(browser, url, shared) {
  check(shared.code, 'no invite from the previous test');
  const { context, page } = await newPage(browser);
  await page.goto(`${url}/invite_register.html?code=${shared.code}`);
  check(await page.inputValue('#invcode') === shared.code, '?code= did not fill in the invite code');
  await fillForm(page, newUser());
  await page.click('#submit');
  await page.locator('#error', { hasText: 'invite expired' }).waitFor();
  check(await page.getAttribute('#error', 'role') === 'alert', '#error is not role=alert');
  check(await page.locator('#result').isHidden(), 'a result is shown for an expired invite');
  check(await page.isEnabled('#submit'), 'the submit button stays disabled after an error');
  await screenshot(page, '02-invite-expired.png');
  check(page.pageErrors.length === 0, `script errors: ${page.pageErrors.join('; ')}`);
  await context.close();
}

async function fieldError(browser, url) {
  const code = makeInvite();
  const { context, page } = await newPage(browser);
  await page.goto(`${url}/invite_register.html?invite=${code}`);
  await fillForm(page, { ...newUser(), username: 'a' });
  // The browser would refuse "a" itself: let the server judge it.
  check(await page.$eval('#username', (i) => !i.checkValidity()), 'the browser accepts the username "a"');
  await page.$eval('#username', (i) => { i.removeAttribute('pattern'); i.removeAttribute('minlength'); });
  await page.click('#submit');
  await page.locator('#username-error', { hasText: 'must be of username type' }).waitFor();
  check((await text(page, '#error')).includes('bad payload'), `#error says ${JSON.stringify(await text(page, '#error'))}`);
  check(await page.getAttribute('#username', 'aria-invalid') === 'true', '#username is not marked aria-invalid');
  const describedBy = (await page.getAttribute('#username', 'aria-describedby')) || '';
  check(describedBy.split(/\s+/).includes('username-error'), '#username is not described by its error');
  check(await text(page, '#email-error') === '', 'an error is shown next to the email field');
  await screenshot(page, '03-field-error.png');
  check(page.pageErrors.length === 0, `script errors: ${page.pageErrors.join('; ')}`);
  await context.close();
}

async function withoutJavaScript(browser, url) {
  const code = makeInvite();
  const { context, page } = await newPage(browser, { javaScriptEnabled: false });
  await page.goto(`${url}/invite_register.html?invite=${code}`);
  // Without scripts nothing reads ?invite=: proof that they are off.
  check(await page.inputValue('#invcode') === '', 'the invite code was filled in with JavaScript disabled');
  await fillForm(page, newUser(), code);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v6/auth/register_inv')),
    page.click('#submit'),
  ]);
  check(response.request().method() === 'POST', `the form sent ${response.request().method()}`);
  check(response.status() === 200, `the form post answered ${response.status()}`);
  check((response.headers()['content-type'] || '').startsWith('text/html'),
    `the form post answered ${response.headers()['content-type']}, not HTML`);
  await page.locator('#token').waitFor();
  checkToken(await text(page, '#token'), await text(page, '#user-id'));
  await screenshot(page, '04-no-js.png');
  await context.close();
}

const TESTS = [
  ['registers with an invite and shows the token', registers],
  ['a used-up invite shows "invite expired"', inviteExpired],
  ['a field the server rejects gets its message next to it', fieldError],
  ['without JavaScript the form post shows the server\'s page', withoutJavaScript],
];

// --- main -------------------------------------------------------------------------

async function main() {
  mkdirSync(OUT_DIR, { recursive: true });
  let browser;
  let passed = 0;
  let failed = 0;
  try {
    let url;
    try {
      url = startStack();
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    } catch (e) {
      console.error(`e2e: set-up failed: ${e.message.replace(/\x1b\[[0-9;]*m/g, '')}`);
      console.error(`e2e: stack directory kept: ${stackDir}`);
      return 2;
    }
    const shared = {};
    for (const [name, fn] of TESTS) {
      try {
        await fn(browser, url, shared);
        passed++;
        console.log(`ok   ${name}`);
      } catch (e) {
        failed++;
        // Playwright colours its call logs even into a pipe.
        const why = e.message.replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
        console.log(`FAIL ${name}\n     ${why.split('\n').join('\n     ')}`);
      }
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
    stopStack();
  }
  console.log(`screenshots in ${OUT_DIR}`);
  if (failed || process.env.E2E_KEEP_STACK === '1') console.log(`stack directory kept: ${stackDir} (logs in log/)`);
  else rmSync(stackDir, { recursive: true, force: true });
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`e2e: ${sig}, stopping the stack`);
    stopStack();
    process.exit(130);
  });
}

main().then((rc) => { process.exitCode = rc; }, (e) => {
  console.error(`e2e: ${e.stack || e}`);
  stopStack();
  process.exitCode = 2;
});
