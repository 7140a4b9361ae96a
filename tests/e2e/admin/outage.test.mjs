// The database down (FerretDB killed, as tests/api's crash tests do): the
// console shows the API's 503 where the action was, and works again once
// the database is back. Last, since it stops the shared database.

import { api, check, checkClean, openConsole, result, snapshot } from './lib.mjs';

// Until /healthz and the invites list answer 200, ten times in a row (every
// worker has its connection back), within a minute.
async function waitHealthy(url, token) {
  let inRow = 0;
  for (let i = 0; i < 240 && inRow < 10; i++) {
    const health = await fetch(`${url}/healthz`).catch(() => null);
    const list = await fetch(`${url}/api/v6/admin/instance/invites`, { headers: { Authorization: token } }).catch(() => null);
    if (health && health.status === 200 && list && list.status === 200) {
      inRow++;
    } else {
      inRow = 0;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  if (inRow < 10) throw new Error('the API did not answer 200 again within a minute of the database\'s restart');
}

async function databaseDown({ browser, url, stack, staff, staffToken }) {
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/invites');
  await result(page.locator('#invites-status'));
  stack.db('db-stop');
  try {
    const expected = await api(url, 'GET', '/api/v6/admin/instance/invites', { token: staffToken });
    check(expected.status === 503, `with the database down the API answers ${expected.status}`);
    await page.click('#invites-refresh');
    const r = await result(page.locator('#invites-status'), expected.body.message);
    check(r.kind === 'error' && r.text === expected.body.message, `reload: ${JSON.stringify(r)} (API: ${expected.body.message})`);
    const form = page.locator('#invites-create');
    await form.getByLabel('Max uses').fill('2');
    await form.getByRole('button', { name: 'Create invite' }).click();
    const c = await result(form.locator('.status'));
    check(c.kind === 'error' && c.text === expected.body.message, `create: ${JSON.stringify(c)}`);
    check(await page.locator('#pages').isVisible(), 'a 503 ended the session');
    await snapshot(page, '80-database-down');
  } finally {
    stack.db('db-start');
  }
  await waitHealthy(url, staffToken);
  await page.click('#invites-refresh');
  const ok = await result(page.locator('#invites-status'), 'invite');
  check(ok.kind === 'ok', `after the database is back: ${JSON.stringify(ok)}`);
  checkClean(page);
  await context.close();
}

export const tests = [
  ['the database down: the API\'s 503 shown where the action was, then back to work', databaseDown],
];
