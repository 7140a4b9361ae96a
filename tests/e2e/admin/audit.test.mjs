// The audit log page: newest first, filters, the "Older" cursor, each entry
// linking to its target. Needs GET /api/v6/admin/audit-log (issue 14's
// route, built beside the console): without it these fail.

import { api, gameApi, check, checkClean, gameUser, gamePlayer, openConsole, result, snapshot, text } from './lib.mjs';

async function rowIds(page) {
  return page.locator('#audit-rows tr').evaluateAll((rows) => rows.map((r) => r.dataset.entryId));
}

function descending(ids) {
  for (let i = 1; i < ids.length; i++) if (BigInt(ids[i]) >= BigInt(ids[i - 1])) return false;
  return true;
}

async function auditPage({ browser, url, staff, staffToken, gameAdmin }) {
  // more than two pages of 20, from both realms
  for (let i = 0; i < 42; i++) {
    await api(url, 'PUT', '/api/v6/admin/instance/invites', { token: staffToken, body: { max_uses: 1 } });
  }
  const hero = gameUser([]);
  gamePlayer(hero);
  await gameApi(url, gameAdmin, 'POST', `/api/v1/users/${hero.id}/admin/unmute`);
  const newest = await api(url, 'PUT', '/api/v6/admin/instance/invites', { token: staffToken, body: { max_uses: 7 } });

  const { context, page } = await openConsole(browser, url, { chat: staff, game: gameAdmin }, '#/audit');
  const status = page.locator('#audit-filters .status');
  await result(status);
  const first = page.locator('#audit-rows tr').first();
  check((await text(first)).includes('invite.create') && (await text(first)).includes(staff.username),
    `the newest entry: ${await text(first)}`);
  const fromApi = await api(url, 'GET', '/api/v6/admin/audit-log?limit=50', { token: staffToken });
  const shown = await rowIds(page);
  check(JSON.stringify(shown) === JSON.stringify(fromApi.body.entries.map((e) => e.id)), 'the page and the API list different entries');
  check(descending(shown), 'not newest first');
  await snapshot(page, '60-audit');

  // older pages, through next_before
  await page.getByLabel('Per page').selectOption('20');
  await page.getByRole('button', { name: 'Show' }).click();
  await result(status, '20 entries');
  await page.click('#audit-older');
  await result(page.locator('#audit-older-status'), '40 entries');
  const two = await rowIds(page);
  check(two.length === 40 && descending(two), `after Older: ${two.length} rows, descending ${descending(two)}`);
  const api2 = await api(url, 'GET', `/api/v6/admin/audit-log?limit=20&before=${two[19]}`, { token: staffToken });
  check(JSON.stringify(two.slice(20)) === JSON.stringify(api2.body.entries.map((e) => e.id)), 'the older page is not the API\'s');

  // filters
  await page.getByLabel('Action', { exact: true }).fill('game.unmute');
  await page.getByRole('button', { name: 'Show' }).click();
  await result(status, 'entr');
  const g = page.locator('#audit-rows tr').first();
  check((await text(g)).includes(gameAdmin.name) && (await text(g)).includes('game'), `the game entry: ${await text(g)}`);
  const actions = await page.locator('#audit-rows tr td:nth-child(3)').allTextContents();
  check(actions.length > 0 && actions.every((a) => a === 'game.unmute'), `action filter: ${actions}`);
  await page.locator('#audit-rows tr').first().locator('a.target-link').click();
  await page.locator('#game-name', { hasText: hero.name }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();

  await page.getByLabel('Action', { exact: true }).fill('');
  await page.getByLabel('Target').fill(`invite:${newest.body.code}`);
  await page.getByRole('button', { name: 'Show' }).click();
  await result(status, '1 entry');
  await page.locator('#audit-rows a.target-link').click();
  await page.locator(`#invites-list tr.highlight[data-code="${newest.body.code}"]`).waitFor();
  await page.goBack();

  await page.getByLabel('Target').fill('');
  await page.getByLabel('Actor id').fill(staff.id);
  await page.getByLabel('Since (UTC)').fill('2000-01-01T00:00:00');
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 19);
  await page.getByLabel('Until (UTC)').fill(tomorrow);
  await page.getByRole('button', { name: 'Show' }).click();
  await result(status, 'entr');
  const who = await page.locator('#audit-rows .actor-name').allTextContents();
  check(who.length > 0 && who.every((n) => n === staff.username), `actor filter: ${who}`);
  await page.getByLabel('Since (UTC)').fill(tomorrow);
  await page.getByRole('button', { name: 'Show' }).click();
  await result(status, '0 entries');
  checkClean(page);
  await context.close();
}

export const tests = [
  ['newest first, older pages by cursor, filters, links to targets (needs GET /api/v6/admin/audit-log)', auditPage, { needsAuditRoute: true }],
];
