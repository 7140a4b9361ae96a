// Shared helpers of the console's browser tests (tests/e2e/admin/*.test.mjs,
// run by run.mjs): the real stack through tools/stack, accounts made with
// wardenctl, Debian's Chromium through playwright-core, screenshots at two
// widths, axe-core, and the APIs queried from node to check what was stored.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN_DIR = resolve(ROOT, process.env.WARDEN_BIN_DIR || 'build/release');
export const OUT_DIR = resolve(ROOT, process.env.E2E_OUTPUT_DIR || 'build/test-output/e2e');
export const SHOTS_DIR = join(OUT_DIR, 'e2e-screenshots');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STACK = join(ROOT, 'tools/stack');
export const TIMEOUT_MS = 15000;
// Game access tokens live this long on the test stack (the least the pool
// takes), so that a test can outlive one.
export const GAME_ACCESS_TTL = 10;

// See tests/e2e/invite_register.test.mjs.
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const WIDTHS = [375, 1440];

export const env = {
  ...process.env,
  WARDEN_SECRET: randomBytes(32).toString('hex'),
  WARDEN_GAME_ACCESS_TTL: String(GAME_ACCESS_TTL),
  MONGOC_DISABLE_SHM: '1',
};

export function fail(message) {
  throw new Error(message);
}

export function check(cond, message) {
  if (!cond) fail(message);
}

export function clean(message) {
  return String(message).replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
}

// --- the stack -------------------------------------------------------------------

export class Stack {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'warden-e2e-admin-'));
    this.started = false;
    this.url = null;
  }

  start() {
    this.started = true;
    const r = spawnSync(STACK, ['start', '--dir', this.dir, '--bin', BIN_DIR, '--port', 'auto'],
      { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.error) fail(`cannot run tools/stack: ${r.error.message}`);
    if (r.status !== 0) fail(`tools/stack start exited with ${r.status} (logs in ${this.dir}/log)`);
    const vars = {};
    for (const line of readFileSync(join(this.dir, 'stack.env'), 'utf8').split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) vars[line.slice(0, i)] = line.slice(i + 1);
    }
    check(vars.WARDEN_URL && vars.WARDEN_MONGODB_URI, `${this.dir}/stack.env lacks WARDEN_URL or WARDEN_MONGODB_URI`);
    env.WARDEN_MONGODB_URI = vars.WARDEN_MONGODB_URI;
    this.url = vars.WARDEN_URL;
    return this.url;
  }

  stop() {
    if (!this.started) return;
    this.started = false;
    const r = spawnSync(STACK, ['stop', '--dir', this.dir], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) console.error(`e2e: tools/stack stop --dir ${this.dir} exited with ${r.status}`);
  }

  /** FerretDB down (SIGKILL, as tests/api's database crashes) or up again. */
  db(command) {
    const r = spawnSync(STACK, [command, '--dir', this.dir], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    check(r.status === 0, `tools/stack ${command} exited with ${r.status}`);
  }
}

/** wardenctl ARGS on the stack; its stdout, trimmed. */
export function ctl(...args) {
  try {
    return execFileSync(join(BIN_DIR, 'wardenctl'), ['--env-file', '/dev/null', ...args],
      { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return fail(`wardenctl ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
}

let serial = 0;
/** A name no other test run uses: PREFIX plus letters and digits. */
export function unique(prefix) {
  serial += 1;
  return `${prefix}${Date.now().toString(36).slice(-5)}${serial}`;
}

export function password() {
  return `pw-${randomBytes(9).toString('hex')}`;
}

/** A chat account: {id, username, discriminator, tag, email, password}; staff with STAFF. */
export function chatUser({ staff = false, username = unique('e2e_u') } = {}) {
  const email = `${unique('mail')}@example.org`;
  const pw = password();
  const out = ctl('add-user', username, email, pw);
  const m = /^([0-9]+) (.+)#([0-9]{4})$/.exec(out);
  check(m, `wardenctl add-user printed ${JSON.stringify(out)}`);
  if (staff) ctl('make-staff', m[2], m[3]);
  return { id: m[1], username: m[2], discriminator: m[3], tag: `${m[2]}#${m[3]}`, email, password: pw };
}

/** A game account with RIGHTS: {id, name, password}. */
export function gameUser(rights = [], name = unique('G')) {
  const pw = password();
  const out = ctl('game-add-user', name, `${name.toLowerCase()}@example.org`, pw);
  const m = /^([0-9a-f-]{36}) (.+)$/.exec(out);
  check(m, `wardenctl game-add-user printed ${JSON.stringify(out)}`);
  if (rights.length) ctl('game-grant', name, ...rights);
  return { id: m[1], name, password: pw };
}

/** A character of ACCOUNT: {id, name}. */
export function gamePlayer(account, name = unique('P')) {
  const out = ctl('game-add-player', account.name, name);
  const m = /^([0-9a-f-]{36})/.exec(out);
  check(m, `wardenctl game-add-player printed ${JSON.stringify(out)}`);
  return { id: m[1], name };
}

/** The audit entries wardenctl reads (newest first), as objects. */
export function auditEntries(...filters) {
  const out = ctl('audit', ...filters, '--limit', '20', '--json');
  return out ? out.split('\n').map((line) => JSON.parse(line)) : [];
}

// --- the APIs from node --------------------------------------------------------------

export async function api(url, method, path, { token, body, bearer } = {}) {
  const headers = {};
  if (token) headers.Authorization = token;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}

export async function chatToken(url, user) {
  const r = await api(url, 'POST', '/api/v6/auth/login', { body: { email: user.email, password: user.password } });
  check(r.status === 200, `login of ${user.email}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}

export async function gameToken(url, account) {
  const digest = createHash('sha256').update(account.password).digest('hex');
  const r = await api(url, 'POST', '/api/oauth/token',
    { body: { grant_type: 'password', username: account.name, password: digest } });
  check(r.status === 200, `game token of ${account.name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

/**
 * A game API call as ACCOUNT, with an access token fetched for it (again
 * once the last is a few seconds old: they live GAME_ACCESS_TTL seconds here).
 */
const gameTokens = new Map();
export async function gameApi(url, account, method, path, body) {
  let t = gameTokens.get(account.name);
  if (!t || Date.now() - t.at > (GAME_ACCESS_TTL * 1000) / 2) {
    t = { token: await gameToken(url, account), at: Date.now() };
    gameTokens.set(account.name, t);
  }
  return api(url, method, path, { bearer: t.token, body });
}

// --- the browser -------------------------------------------------------------------------

/**
 * A fresh context and page: collects script errors and console messages,
 * and records every JavaScript dialog (alert, confirm, prompt) opened and
 * dismisses it: the console opens none, so any is a failure.
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  page.pageErrors = [];
  page.dialogs = [];
  page.cspViolations = [];
  page.on('pageerror', (err) => page.pageErrors.push(err.message));
  page.on('dialog', (d) => { page.dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) page.cspViolations.push(m.text());
  });
  return { context, page };
}

/** The page ran clean: no script error, no JavaScript dialog, no CSP violation. */
export function checkClean(page) {
  check(page.pageErrors.length === 0, `script errors: ${page.pageErrors.join('; ')}`);
  check(page.dialogs.length === 0, `JavaScript dialogs opened: ${page.dialogs.join('; ')}`);
  check(page.cspViolations.length === 0, `CSP violations: ${page.cspViolations.join('; ')}`);
}

export async function text(locator) {
  return ((await locator.textContent()) || '').trim();
}

/** Sign in through the form of REALM ('chat' or 'game') and wait for the console. */
export async function signIn(page, realm, account, { expectConsole = true } = {}) {
  const form = page.locator(`#signin-${realm}-form`);
  if (realm === 'chat') await form.getByLabel('Email').fill(account.email);
  else await form.getByLabel('Account name').fill(account.name);
  await form.getByLabel('Password').fill(account.password);
  await form.getByRole('button', { name: /^Sign in/ }).click();
  if (expectConsole) await page.locator('#pages').waitFor({ state: 'visible' });
}

/** Open the console signed in to REALMS ({chat: user, game: account}), at HASH. */
export async function openConsole(browser, url, realms, hash = '') {
  const { context, page } = await newPage(browser);
  await page.goto(`${url}/admin/${hash}`);
  await page.locator('#signin').waitFor({ state: 'visible' });
  if (realms.chat) await signIn(page, 'chat', realms.chat);
  if (realms.game) {
    if (realms.chat) {
      await page.click('#signin-more');
      await page.locator('#signin').waitFor({ state: 'visible' });
    }
    await signIn(page, 'game', realms.game);
  }
  return { context, page };
}

/** Go to a console page by its navigation link (as a user would). */
export async function goTo(page, title) {
  await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
}

/**
 * Wait until the status line LOCATOR reports a result (class ok or error),
 * containing CONTAINS when given, and return {kind, text}.
 */
export async function result(locator, contains = '') {
  const el = await locator.elementHandle();
  try {
    await locator.page().waitForFunction(([node, want]) => /\b(ok|error)\b/.test(node.className)
      && node.textContent.includes(want), [el, contains], { timeout: TIMEOUT_MS });
  } catch (e) {
    const now = await el.evaluate((node) => `${node.className}: ${node.textContent}`).catch(() => '(gone)');
    throw new Error(`no result${contains ? ` with ${JSON.stringify(contains)}` : ''} within ${TIMEOUT_MS} ms; the status is ${JSON.stringify(now)}`);
  }
  const cls = (await locator.getAttribute('class')) || '';
  return { kind: cls.includes('error') ? 'error' : 'ok', text: await text(locator) };
}

/** Confirm (or cancel) the console's <dialog>, checking that it names WHAT. */
export async function confirm(page, what, { accept = true } = {}) {
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor({ state: 'visible' });
  const said = `${await text(dialog.locator('#confirm-title'))} ${await text(dialog.locator('#confirm-text'))}`;
  for (const w of [].concat(what)) check(said.includes(w), `the confirmation does not say ${JSON.stringify(w)}: ${said}`);
  await dialog.locator(accept ? '#confirm-ok' : '#confirm-cancel').click();
  await dialog.waitFor({ state: 'hidden' });
  return said;
}

// --- screenshots and axe ------------------------------------------------------------------------

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const axeResults = [];

/**
 * Screenshots of the page as it is, at 375 and 1440 px wide (NAME-375.png,
 * NAME-1440.png), and axe-core's run at each width: a serious or critical
 * violation fails. axe's source is evaluated through the DevTools protocol,
 * which the page's CSP does not govern (a script tag would be refused).
 */
export async function snapshot(page, name) {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const before = page.viewportSize();
  const problems = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SHOTS_DIR, `${name}-${width}.png`), fullPage: true });
    const has = await page.evaluate(() => typeof window.axe === 'object');
    if (!has) await page.evaluate(AXE_SOURCE);
    const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    axeResults.push({ name, width, violations: res.violations.length, serious: bad.length,
      ids: res.violations.map((v) => `${v.id} (${v.impact})`) });
    for (const v of bad) {
      problems.push(`${width}px ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
    }
    if (width === 375) {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (overflow > 1) problems.push(`375px: the page scrolls sideways by ${overflow}px`);
    }
  }
  await page.setViewportSize(before);
  check(problems.length === 0, `${name}:\n${problems.join('\n')}`);
}

export function stackDirNote(stack) {
  return stack.dir;
}

export { mkdtempSync, tmpdir };
