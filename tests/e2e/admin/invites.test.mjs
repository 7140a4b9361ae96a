// Invites: list (uses, max, created), create with max_uses, copy the
// registration link, delete.

import { api, check, checkClean, confirm, ctl, openConsole, result, snapshot, text } from './lib.mjs';

async function invitesFlow({ browser, url, staff, staffToken }) {
  const made = ctl('make-invite', '4');
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/invites');
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  const listed = page.locator(`#invites-list tr[data-code="${made}"]`);
  await listed.waitFor();
  const cells = await listed.locator('td').allTextContents();
  check(cells[1] === '0' && cells[2] === '4' && / UTC$/.test(cells[3]), `the invite's row: ${JSON.stringify(cells)}`);

  // create
  const form = page.locator('#invites-create');
  await form.getByLabel('Max uses').fill('3');
  await form.getByRole('button', { name: 'Create invite' }).click();
  const r = await result(form.locator('.status'));
  const m = /^Invite ([A-Za-z0-9]{6}) created\.$/.exec(r.text);
  check(r.kind === 'ok' && m, `create: ${JSON.stringify(r)}`);
  const code = m[1];
  const row = page.locator(`#invites-list tr[data-code="${code}"]`);
  await row.waitFor();
  const stored = await api(url, 'GET', '/api/v6/admin/instance/invites', { token: staffToken });
  const inv = stored.body.find((i) => i.code === code);
  check(inv && inv.max_uses === 3 && inv.uses === 0, `the API stores ${JSON.stringify(inv)}`);
  check((await row.locator('td').nth(2).textContent()) === '3', 'the new row does not show max uses 3');
  // unlimited
  await form.getByLabel('Max uses').fill('-1');
  await form.getByRole('button', { name: 'Create invite' }).click();
  const u = await result(form.locator('.status'), 'created');
  const ucode = /Invite (\w+) created/.exec(u.text)[1];
  await page.locator(`#invites-list tr[data-code="${ucode}"] td`, { hasText: 'unlimited' }).waitFor();
  // refused: the API's message next to the field
  await form.getByLabel('Max uses').fill('0');
  await form.getByRole('button', { name: 'Create invite' }).click();
  const bad = await result(form.locator('.status'), 'bad payload');
  check(bad.kind === 'error', `max_uses 0: ${JSON.stringify(bad)}`);
  const id = (await form.getByLabel('Max uses').getAttribute('aria-describedby')).split(' ').pop();
  check((await text(page.locator(`#${id}`))).startsWith('must be -1 (unlimited)'), 'max_uses\' message is not next to it');

  // copy the registration link
  await row.getByRole('button', { name: `Copy link of invite ${code}` }).click();
  await result(row.locator('.status'), 'copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check(copied === `${url}/invite_register.html?invite=${code}`, `copied ${JSON.stringify(copied)}`);
  await snapshot(page, '20-invites');

  // delete
  await row.getByRole('button', { name: `Delete invite ${code}` }).click();
  await confirm(page, code);
  const d = await result(row.locator('.status'));
  check(d.kind === 'ok' && d.text === `Invite ${code} deleted.`, `delete: ${JSON.stringify(d)}`);
  const after = await api(url, 'GET', '/api/v6/admin/instance/invites', { token: staffToken });
  check(!after.body.some((i) => i.code === code), 'the API still lists the deleted invite');
  // deleting one that is already gone (another admin was first): the API's 404
  ctl('delete-invite', ucode);
  const urow = page.locator(`#invites-list tr[data-code="${ucode}"]`);
  await urow.getByRole('button', { name: `Delete invite ${ucode}` }).click();
  await confirm(page, ucode);
  const gone = await result(urow.locator('.status'));
  const again = await api(url, 'DELETE', `/api/v6/admin/instance/invites/${ucode}`, { token: staffToken });
  check(gone.kind === 'error' && gone.text === again.body.message, `a gone invite: ${JSON.stringify(gone)}, the API: ${JSON.stringify(again.body)}`);
  checkClean(page);
  await context.close();
}

export const tests = [
  ['list, create (max uses, unlimited, refused), copy the link, delete', invitesFlow],
];
