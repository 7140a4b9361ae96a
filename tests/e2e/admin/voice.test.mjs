// Voice: regions (first and deprecated marked), create, a region's servers,
// add a server (and a duplicate), deprecate (what it does to guilds).

import { api, check, checkClean, confirm, openConsole, result, snapshot, text, unique } from './lib.mjs';

async function regionsAndServers({ browser, url, staff, staffToken }) {
  const id = unique('reg').toLowerCase();
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/voice');
  await page.locator('#voice-regions').waitFor();
  const form = page.locator('#voice-create');
  await form.getByLabel('Id').fill(id.toUpperCase());
  await form.getByLabel('Name').fill(`Region ${id}`);
  await form.getByLabel('VIP').check();
  await form.getByRole('button', { name: 'Create region' }).click();
  const r = await result(form.locator('.status'));
  check(r.kind === 'ok' && r.text === `Region ${id} created.`, `create: ${JSON.stringify(r)}`);
  const row = page.locator(`#voice-regions tr[data-region="${id}"]`);
  await row.waitFor();
  check((await text(row)).includes('vip'), 'the new region is not marked vip');
  const regions = await api(url, 'GET', '/api/v6/admin/voice/regions', { token: staffToken });
  const stored = regions.body.find((x) => x.id === id);
  check(stored && stored.vip === true && stored.name === `Region ${id}` && !stored.deprecated, `the API stores ${JSON.stringify(stored)}`);

  // the same id again: the API's refusal
  await form.getByRole('button', { name: 'Create region' }).click();
  const dup = await result(form.locator('.status'), 'exists');
  check(dup.kind === 'error' && dup.text === 'voice region already exists', `duplicate region: ${JSON.stringify(dup)}`);

  // servers
  await row.getByRole('button', { name: `Servers of ${id}` }).click();
  const servers = page.locator('#voice-servers');
  await servers.getByText(`No servers in ${id}.`).waitFor();
  const host = `${id}.voice.example.org`;
  await servers.getByLabel('Hostname').fill(host);
  await servers.getByRole('button', { name: 'Add server' }).click();
  const add = await result(servers.locator('#voice-server-add .status'));
  check(add.kind === 'ok' && add.text === `${host} added to ${id}.`, `add server: ${JSON.stringify(add)}`);
  await servers.locator('td', { hasText: host }).waitFor();
  const listed = await api(url, 'GET', `/api/v6/admin/voice/regions/${id}`, { token: staffToken });
  check(listed.body.length === 1 && listed.body[0].hostname === host, `the API lists ${JSON.stringify(listed.body)}`);
  // a duplicate hostname: the API's message next to the field
  await servers.getByLabel('Hostname').fill(host);
  await servers.getByRole('button', { name: 'Add server' }).click();
  const d = await result(servers.locator('#voice-server-add .status'));
  check(d.kind === 'error' && d.text === 'voice server already exists with given hostname', `duplicate server: ${JSON.stringify(d)}`);
  const hid = (await servers.getByLabel('Hostname').getAttribute('aria-describedby')).split(' ').pop();
  check(await text(page.locator(`#${hid}`)) === d.text, 'the duplicate\'s message is not next to the hostname');
  await snapshot(page, '30-voice');

  // deprecate: a guild in the region loses it
  const guild = await api(url, 'POST', '/api/v6/guilds', { token: staffToken, body: { name: 'In the region', region: id } });
  check(guild.status === 200 && guild.body.region === id, `a guild in ${id}: ${JSON.stringify(guild.body)}`);
  await row.getByRole('button', { name: `Deprecate ${id}` }).click();
  await confirm(page, [id, 'Every guild', 'loses its region']);
  const dep = await result(row.locator('.status'));
  check(dep.kind === 'ok' && dep.text === `${id} deprecated.`, `deprecate: ${JSON.stringify(dep)}`);
  check((await text(row)).includes('deprecated'), 'the row is not marked deprecated');
  check(await row.getByRole('button', { name: `Deprecate ${id}` }).isDisabled(), 'Deprecate is still offered');
  const after = await api(url, 'GET', '/api/v6/admin/voice/regions', { token: staffToken });
  check(after.body.find((x) => x.id === id).deprecated === true, 'the API does not store the deprecation');
  const g = await api(url, 'GET', `/api/v6/admin/guilds/${guild.body.id}`, { token: staffToken });
  check(g.body.region === null, `the guild's region after the deprecation: ${JSON.stringify(g.body.region)}`);
  // a reload keeps the mark
  await page.click('#voice-refresh');
  await page.locator(`#voice-regions tr[data-region="${id}"] .tag.warn`, { hasText: 'deprecated' }).waitFor();
  checkClean(page);
  await context.close();
}

async function firstMarked({ browser, url, staff, staffToken }) {
  // The first region is the one the audit log records with after.first.
  const log = await api(url, 'GET', '/api/v6/admin/audit-log?action=voice_region.create&limit=100', { token: staffToken });
  check(log.status === 200, `GET /api/v6/admin/audit-log answers ${log.status}`);
  let first = (log.body.entries.find((e) => e.after && e.after.first) || {}).target;
  if (!first) {
    const id = unique('first').toLowerCase();
    await api(url, 'PUT', '/api/v6/admin/voice/regions', { token: staffToken, body: { id, name: id } });
    first = { id };
  }
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/voice');
  const tags = page.locator('#voice-regions .tag', { hasText: /^first$/ });
  await tags.first().waitFor();
  check(await tags.count() === 1, `${await tags.count()} regions marked first`);
  const marked = await page.locator('#voice-regions tr', { has: page.locator('.tag', { hasText: /^first$/ }) }).getAttribute('data-region');
  check(marked === first.id, `marked first: ${marked}, the audit log says ${first.id}`);
  checkClean(page);
  await context.close();
}

export const tests = [
  ['create a region, add servers (a duplicate refused), deprecate it (guilds lose it)', regionsAndServers],
  ['the first region is marked (needs GET /api/v6/admin/audit-log)', firstMarked, { needsAuditRoute: true }],
];
