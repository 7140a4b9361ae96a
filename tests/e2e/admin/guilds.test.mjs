// Guilds: open by id (owner, region, unavailable), features from the five,
// unavailable/available, delete.

import { api, check, checkClean, confirm, openConsole, result, snapshot, text } from './lib.mjs';

async function guildFlow({ browser, url, staff, staffToken }) {
  const made = await api(url, 'POST', '/api/v6/guilds', { token: staffToken, body: { name: 'Console guild' } });
  check(made.status === 200, `POST /guilds: ${made.status} ${JSON.stringify(made.body)}`);
  const id = made.body.id;
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/guilds');
  await page.getByLabel('Guild id').fill(id);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const r = await result(page.locator('#guilds-open .status'));
  check(r.kind === 'ok' && r.text === `Guild ${id} opened.`, `open: ${JSON.stringify(r)}`);
  const facts = await text(page.locator('#guild-facts'));
  check(facts.includes(staff.id) && facts.includes('Console guild'), `the facts: ${facts}`);
  check(facts.includes(`Region${made.body.region ?? 'none'}`), `the region: ${facts}`);
  check(facts.includes('Unavailableno'), `availability: ${facts}`);

  // features
  const features = page.locator('#guild-features');
  await features.getByLabel('VERIFIED').check();
  await features.getByLabel('MORE_EMOJI').check();
  await features.getByRole('button', { name: 'Save features' }).click();
  const f = await result(features.locator('.status'));
  check(f.kind === 'ok' && f.text === 'Features: MORE_EMOJI, VERIFIED.', `features: ${JSON.stringify(f)}`);
  let stored = await api(url, 'GET', `/api/v6/admin/guilds/${id}`, { token: staffToken });
  check(JSON.stringify(stored.body.features) === '["MORE_EMOJI","VERIFIED"]', `the API stores ${JSON.stringify(stored.body.features)}`);
  await features.getByLabel('MORE_EMOJI').uncheck();
  await features.getByRole('button', { name: 'Save features' }).click();
  await result(features.locator('.status'), 'Features: VERIFIED.');
  stored = await api(url, 'GET', `/api/v6/admin/guilds/${id}`, { token: staffToken });
  check(JSON.stringify(stored.body.features) === '["VERIFIED"]', `after removing: ${JSON.stringify(stored.body.features)}`);
  await snapshot(page, '40-guild');

  // unavailable, then available
  await page.click('#guild-availability');
  await confirm(page, [id, 'unavailable']);
  await result(page.locator('#guild-availability-status'), 'Marked unavailable.');
  stored = await api(url, 'GET', `/api/v6/admin/guilds/${id}`, { token: staffToken });
  check(stored.body.unavailable === true, `the API's unavailable: ${stored.body.unavailable}`);
  check((await text(page.locator('#guild-facts'))).includes('Unavailableyes'), 'the page does not show it unavailable');
  await snapshot(page, '41-guild-unavailable');
  await page.getByRole('button', { name: 'Mark available' }).click();
  await result(page.locator('#guild-availability-status'), 'Marked available.');
  stored = await api(url, 'GET', `/api/v6/admin/guilds/${id}`, { token: staffToken });
  check(stored.body.unavailable === false && JSON.stringify(stored.body.features) === '["VERIFIED"]', `available again: ${JSON.stringify(stored.body)}`);

  // delete
  await page.click('#guild-delete');
  await confirm(page, [id, 'Console guild', 'cannot be undone']);
  const d = await result(page.locator('#guild-delete-status'));
  check(d.kind === 'ok' && d.text === `Guild ${id} deleted.`, `delete: ${JSON.stringify(d)}`);
  stored = await api(url, 'GET', `/api/v6/admin/guilds/${id}`, { token: staffToken });
  check(stored.status === 404, `the deleted guild answers ${stored.status}`);

  // an unknown guild: the API's message next to the id
  await page.getByLabel('Guild id').fill('12345');
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const u = await result(page.locator('#guilds-open .status'), 'Unknown');
  check(u.kind === 'error' && u.text === stored.body.message, `unknown guild: ${JSON.stringify(u)} (API: ${stored.body.message})`);
  checkClean(page);
  await context.close();
}

export const tests = [
  ['open a guild, toggle features, mark unavailable and available, delete', guildFlow],
];
