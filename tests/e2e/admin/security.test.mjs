// Security and access: the headers on every console response, no inline
// script or style and no markup from data, hostile text shown as text
// everywhere, and the console driven by the keyboard alone.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, api, gameApi, check, checkClean, confirm, gameUser, gamePlayer, newPage, openConsole, result, snapshot, text,
  unique,
} from './lib.mjs';

const ADMIN_DIR = join(ROOT, 'nginx/html/admin');
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const XSS = '<img src=x onerror=alert(1)>';

function checkHeaders(what, headers) {
  check(headers.get('content-security-policy') === CSP, `${what}: Content-Security-Policy ${JSON.stringify(headers.get('content-security-policy'))}`);
  check(headers.get('referrer-policy') === 'no-referrer', `${what}: Referrer-Policy ${headers.get('referrer-policy')}`);
  check(headers.get('x-content-type-options') === 'nosniff', `${what}: X-Content-Type-Options ${headers.get('x-content-type-options')}`);
}

async function headersEverywhere({ url }) {
  const files = readdirSync(ADMIN_DIR);
  check(files.includes('index.html') && files.some((f) => f.endsWith('.css')), `console files: ${files}`);
  for (const f of files) {
    const res = await fetch(`${url}/admin/${f}`);
    check(res.status === 200, `/admin/${f}: ${res.status}`);
    checkHeaders(`/admin/${f}`, res.headers);
    if (f.endsWith('.js')) check(/javascript/.test(res.headers.get('content-type')), `/admin/${f} is ${res.headers.get('content-type')}`);
  }
  const cases = [
    ['GET', '/admin/', 200], ['GET', '/admin', 301], ['GET', '/admin/missing.js', 404],
    ['GET', '/admin/?x=1', 200], ['HEAD', '/admin/app.js', 200], ['POST', '/admin/', 405], ['GET', '/admin/no/such/dir/', 404],
  ];
  for (const [method, path, status] of cases) {
    const res = await fetch(`${url}${path}`, { method, redirect: 'manual' });
    check(res.status === status, `${method} ${path}: ${res.status}, expected ${status}`);
    checkHeaders(`${method} ${path}`, res.headers);
  }
  // Spellings that nginx maps to /admin/ are not served without the headers.
  const odd = await fetch(`${url}/%61dmin/index.html`);
  check(odd.status === 404 || odd.headers.get('content-security-policy') === CSP, `/%61dmin/: ${odd.status} without the CSP`);
  // Elsewhere the console's headers are not sent (the invite page keeps its inline style).
  const other = await fetch(`${url}/invite_register.html`);
  check(other.status === 200 && !other.headers.get('content-security-policy'), 'the invite page got the console\'s CSP');
}

async function noInlineNoMarkup() {
  const html = readFileSync(join(ADMIN_DIR, 'index.html'), 'utf8');
  check(!/<style/i.test(html) && !/\sstyle\s*=/i.test(html), 'index.html has inline style');
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    check(/\ssrc=/.test(m[1]) && m[2].trim() === '', `index.html has an inline script: ${m[0].slice(0, 80)}`);
  }
  check(!/\son[a-z]+\s*=/i.test(html), 'index.html has an inline event handler');
  let js = 0;
  for (const f of readdirSync(ADMIN_DIR)) {
    const src = readFileSync(join(ADMIN_DIR, f), 'utf8');
    check(!/https?:\/\//.test(src.replace(/http:\/\/www\.w3\.org\/[^'"]*/g, '')), `${f} names another origin`);
    if (!f.endsWith('.js')) continue;
    js += Buffer.byteLength(src);
    for (const bad of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'localStorage.set', 'document.cookie']) {
      check(!src.includes(bad), `${f} uses ${bad}`);
    }
    check(!/\.style\s*[.=[]/.test(src) && !/setAttribute\(\s*'style'/.test(src), `${f} sets inline style`);
  }
  check(js <= 100 * 1024, `the console's JavaScript is ${js} bytes, over 100 KiB`);
}

async function hostileText({ browser, url, staff, staffToken, gameAdmin }) {
  const region = unique('xss').toLowerCase();
  check((await api(url, 'PUT', '/api/v6/admin/voice/regions', { token: staffToken, body: { id: region, name: XSS } })).status === 200,
    'a region named with markup was refused');
  const guild = await api(url, 'POST', '/api/v6/guilds', { token: staffToken, body: { name: XSS } });
  check(guild.status === 200, `a guild named with markup: ${guild.status}`);
  const victim = gameUser([]);
  gamePlayer(victim);
  check((await gameApi(url, gameAdmin, 'POST', `/api/v1/users/${victim.id}/admin/mute`, { duration: 1, reason: XSS })).status === 200,
    'a mute with a markup reason was refused');

  const { context, page } = await openConsole(browser, url, { chat: staff, game: gameAdmin }, '#/voice');
  const noImages = async (where) => {
    const n = await page.evaluate(() => document.querySelectorAll('img, [onerror]').length);
    check(n === 0, `${where}: ${n} elements made from data`);
  };
  // voice list and the deprecation's confirmation
  const row = page.locator(`#voice-regions tr[data-region="${region}"]`);
  await row.waitFor();
  check((await row.locator('td').nth(1).textContent()) === XSS, 'the region\'s name is not shown as text');
  await noImages('voice');
  // guild page and its delete confirmation
  await page.goto(`${url}/admin/#/guilds?id=${guild.body.id}`);
  await page.locator('#guild-facts').waitFor();
  check((await text(page.locator('#guild-facts'))).includes(XSS), 'the guild\'s name is not shown as text');
  check(await page.getByRole('heading', { name: `Guild ${XSS}` }).count() === 1, 'the guild heading does not show the name as text');
  await page.click('#guild-delete');
  await confirm(page, XSS, { accept: false });
  await noImages('guild');
  // game page: the mute's reason
  await page.goto(`${url}/admin/#/game?kind=user&lookup=${victim.id}`);
  await page.locator('#game-mute', { hasText: 'muted' }).waitFor();
  check((await text(page.locator('#game-mute'))).includes(`reason: ${XSS}`), 'the mute\'s reason is not shown as text');
  await noImages('game');
  // users: a search and a create with the markup as username (the API refuses it as a name)
  await page.goto(`${url}/admin/#/users`);
  await page.getByLabel('Username contains').fill(XSS);
  await page.click('#users-search button[type=submit]');
  await result(page.locator('#users-search .status'));
  const form = page.locator('#users-create');
  await form.getByLabel('Username').fill(XSS);
  await form.getByLabel('Email').fill(`${unique('x')}@example.org`);
  await form.getByLabel('Password').fill('secret-pass');
  await form.getByRole('button', { name: 'Create user' }).click();
  const r = await result(form.locator('.status'));
  check(r.kind === 'error', `a username with markup: ${JSON.stringify(r)}`);
  await noImages('users');
  await snapshot(page, '70-hostile-text');
  checkClean(page);
  await context.close();
}

async function hostileTextInAudit({ browser, url, staff, staffToken }) {
  const region = unique('xssa').toLowerCase();
  await api(url, 'PUT', '/api/v6/admin/voice/regions', { token: staffToken, body: { id: region, name: XSS } });
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/audit');
  await page.getByLabel('Target').fill(`voice_region:${region}`);
  await page.getByRole('button', { name: 'Show' }).click();
  await result(page.locator('#audit-filters .status'), '1 entry');
  await page.locator('#audit-rows summary').click();
  check((await text(page.locator('#audit-rows pre').first())).includes(XSS), 'the entry\'s after does not show the name as text');
  check(await page.evaluate(() => document.querySelectorAll('img, [onerror]').length) === 0, 'the audit page made elements from data');
  checkClean(page);
  await context.close();
}

// Press Tab until the focused element satisfies FN (in the page), at most MAX times.
async function tabTo(page, fn, what, { max = 80, arg } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(fn, arg)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

async function keyboardOnly({ browser, url, staff, staffToken }) {
  const { context, page } = await newPage(browser, { viewport: { width: 375, height: 800 } });
  await page.goto(`${url}/admin/#/invites`);
  await page.locator('#signin-chat-form').waitFor();
  // the first field has the focus
  check(await page.evaluate(() => document.activeElement.type === 'email'), 'the sign-in does not focus the email field');
  await page.keyboard.type(staff.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(staff.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Invites' }).waitFor();
  // focus is visible
  await tabTo(page, () => document.activeElement.matches('#invites-create input'), 'the Max uses field');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(outline !== 'none', 'the focused field shows no outline');
  await page.keyboard.press('Control+a');
  await page.keyboard.type('2');
  await page.keyboard.press('Enter');
  const r = await result(page.locator('#invites-create .status'));
  const code = /Invite (\w+) created/.exec(r.text)[1];
  await page.locator(`#invites-list tr[data-code="${code}"]`).waitFor();
  await tabTo(page, (c) => document.activeElement.getAttribute('aria-label') === `Delete invite ${c}`,
    `Delete ${code}`, { max: 300, arg: code });
  await page.keyboard.press('Enter');
  await page.locator('dialog#confirm').waitFor();
  check(await page.evaluate(() => document.activeElement.id === 'confirm-cancel'), 'the dialog does not focus Cancel');
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    const inside = await page.evaluate(() => document.getElementById('confirm').contains(document.activeElement) || document.activeElement === document.body);
    check(inside, 'Tab left the open dialog');
  }
  await page.keyboard.press('Escape');
  await page.locator('dialog#confirm').waitFor({ state: 'hidden' });
  check(await page.evaluate((c) => document.activeElement.getAttribute('aria-label') === `Delete invite ${c}`, code),
    'the focus did not return to the Delete button');
  const still = await api(url, 'GET', '/api/v6/admin/instance/invites', { token: staffToken });
  check(still.body.some((i) => i.code === code), 'Escape deleted the invite');
  // and Enter on Confirm does delete
  await page.keyboard.press('Enter');
  await page.locator('dialog#confirm').waitFor();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await result(page.locator(`#invites-list tr[data-code="${code}"] .status`), 'deleted');
  const after = await api(url, 'GET', '/api/v6/admin/instance/invites', { token: staffToken });
  check(!after.body.some((i) => i.code === code), 'the keyboard delete did not happen');
  checkClean(page);
  await context.close();
}

export const tests = [
  ['the CSP, Referrer-Policy and nosniff on every console response, a 404 and a 405 included', headersEverywhere],
  ['no inline script or style, no markup from data, JavaScript within 100 KiB', noInlineNoMarkup],
  ['markup in data is shown as text everywhere and runs nothing', hostileText],
  ['markup in the audit log is shown as text (needs GET /api/v6/admin/audit-log)', hostileTextInAudit, { needsAuditRoute: true }],
  ['keyboard only: sign in, create, a dialog that keeps the focus, Escape, delete', keyboardOnly],
];
