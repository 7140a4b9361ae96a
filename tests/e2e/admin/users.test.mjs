// Users: search with the API's paging, create (and its refusals next to the
// fields), edit flags (staff shown, not editable), soft-delete.

import {
  api, check, checkClean, chatUser, confirm, openConsole, result, snapshot, text, unique,
} from './lib.mjs';

async function searchPages({ browser, url, staff, staffToken }) {
  const prefix = unique('pg');
  const made = [];
  for (let i = 0; i < 7; i++) made.push(chatUser({ username: `${prefix}_${i}` }));
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/users');
  await page.getByLabel('Username contains').fill(prefix);
  await page.getByLabel('Per page').selectOption('5');
  await page.click('#users-search button[type=submit]');
  let r = await result(page.locator('#users-search .status'));
  check(r.kind === 'ok' && r.text === 'Page 1: users 1–5.', `first page: ${JSON.stringify(r)}`);
  const api0 = await api(url, 'GET', `/api/v6/admin/users?username=${prefix}&page=0&per_page=5`, { token: staffToken });
  const shown0 = await page.locator('#users-results tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.userId));
  check(JSON.stringify(shown0) === JSON.stringify(api0.body.map((u) => u.id)), `page 1 shows ${shown0}, the API ${api0.body.map((u) => u.id)}`);
  check(await page.isDisabled('#users-prev'), 'Previous is enabled on the first page');
  await snapshot(page, '10-users-search');
  await page.click('#users-next');
  r = await result(page.locator('#users-search .status'), 'Page 2');
  check(r.text === 'Page 2: users 6–7.', `second page: ${JSON.stringify(r)}`);
  const api1 = await api(url, 'GET', `/api/v6/admin/users?username=${prefix}&page=1&per_page=5`, { token: staffToken });
  const shown1 = await page.locator('#users-results tbody tr').evaluateAll((rows) => rows.map((row) => row.dataset.userId));
  check(JSON.stringify(shown1) === JSON.stringify(api1.body.map((u) => u.id)), `page 2 shows ${shown1}, the API ${api1.body.map((u) => u.id)}`);
  check(await page.isDisabled('#users-next'), 'Next is enabled on a short last page');
  await page.click('#users-prev');
  await result(page.locator('#users-search .status'), 'Page 1');

  // By discriminator alone, and nothing at all (the API's message).
  await page.getByLabel('Username contains').fill('');
  await page.getByLabel('Discriminator').fill(made[3].discriminator);
  await page.click('#users-search button[type=submit]');
  r = await result(page.locator('#users-search .status'));
  check(r.kind === 'ok', `search by discriminator: ${JSON.stringify(r)}`);
  await page.getByLabel('Discriminator').fill('');
  await page.click('#users-search button[type=submit]');
  r = await result(page.locator('#users-search .status'), 'must');
  check(r.kind === 'error' && r.text === 'must insert username or discrim', `empty search: ${JSON.stringify(r)}`);
  checkClean(page);
  await context.close();
}

async function createUser({ browser, url, staff, staffToken }) {
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/users');
  const name = unique('made_');
  const email = `${name}@example.org`;
  const form = page.locator('#users-create');
  await form.getByLabel('Username').fill(name);
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill('secret-pass');
  await form.getByRole('button', { name: 'Create user' }).click();
  const r = await result(form.locator('.status'));
  check(r.kind === 'ok' && r.text.startsWith(`Created ${name}#`), `create: ${JSON.stringify(r)}`);
  const stored = await api(url, 'GET', `/api/v6/admin/users?username=${name}`, { token: staffToken });
  check(stored.status === 200 && stored.body.length === 1 && r.text.includes(stored.body[0].id),
    `the API has ${JSON.stringify(stored.body)}`);

  // The same email again: the API's refusal, next to the email field.
  await form.getByLabel('Username').fill(`${name}x`);
  await form.getByLabel('Password').fill('secret-pass');
  await form.getByRole('button', { name: 'Create user' }).click();
  const dup = await result(form.locator('.status'), 'Email');
  check(dup.kind === 'error' && dup.text === 'Email already used.', `duplicate email: ${JSON.stringify(dup)}`);
  const emailInput = form.getByLabel('Email');
  check(await emailInput.getAttribute('aria-invalid') === 'true', 'the email field is not marked invalid');
  const errId = (await emailInput.getAttribute('aria-describedby')).split(' ').pop();
  check(await text(page.locator(`#${errId}`)) === 'Email already used.', 'the message is not next to the email field');

  // Bad fields: each message next to its field (the chat API's per-field errors).
  await form.getByLabel('Username').fill('a');
  await form.getByLabel('Email').fill('not-an-email');
  await form.getByLabel('Password').fill('p');
  await form.getByRole('button', { name: 'Create user' }).click();
  const bad = await result(form.locator('.status'), 'bad payload');
  check(bad.kind === 'error', `bad fields: ${JSON.stringify(bad)}`);
  for (const [label, message] of [['Username', 'must be of username type'], ['Email', 'must be of email type'], ['Password', 'min length is 5']]) {
    const input = form.getByLabel(label);
    const id = (await input.getAttribute('aria-describedby')).split(' ').pop();
    check(await text(page.locator(`#${id}`)) === message, `${label}: ${await text(page.locator(`#${id}`))}`);
  }
  await snapshot(page, '11-users-create-errors');
  const none = await api(url, 'GET', `/api/v6/admin/users?username=${name}x`, { token: staffToken });
  check(none.body.length === 0, 'a refused user was stored');
  checkClean(page);
  await context.close();
}

async function editFlags({ browser, url, staff, staffToken }) {
  const user = chatUser();
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/users');
  await page.getByLabel('Username contains').fill(user.username);
  await page.click('#users-search button[type=submit]');
  await result(page.locator('#users-search .status'));
  await page.getByRole('button', { name: `Edit flags of ${user.tag}` }).click();
  const editor = page.locator('#users-edit');
  await editor.waitFor();
  const staffBox = editor.getByLabel('staff', { exact: true });
  check(await staffBox.isDisabled(), 'the staff bit is editable');
  const hintId = (await staffBox.getAttribute('aria-describedby')).split(' ')[0];
  const why = await text(page.locator(`#${hintId}`));
  check(why.includes('wardenctl make-staff'), `the staff bit's reason: ${JSON.stringify(why)}`);
  await editor.getByLabel('partner', { exact: true }).check();
  await editor.getByLabel('verified_developer', { exact: true }).check();
  await snapshot(page, '12-users-edit-flags');
  await editor.getByRole('button', { name: 'Save flags' }).click();
  const r = await result(editor.locator('.status'));
  check(r.kind === 'ok' && r.text.includes(String(2 | 131072)), `save: ${JSON.stringify(r)}`);
  const stored = await api(url, 'GET', `/api/v6/admin/users?username=${user.username}`, { token: staffToken });
  check(stored.body[0].flags === (2 | 131072), `the API stores flags ${stored.body[0].flags}`);
  const row = page.locator(`#users-results tr[data-user-id="${user.id}"]`);
  check((await text(row)).includes('verified_developer'), 'the row does not show the new flag');

  // A staff member's flags: the staff bit stays whatever is saved.
  const other = chatUser({ staff: true });
  await page.getByLabel('Username contains').fill(other.username);
  await page.click('#users-search button[type=submit]');
  await page.getByRole('button', { name: `Edit flags of ${other.tag}` }).click();
  await page.locator('#users-edit').getByLabel('staff', { exact: true }).waitFor();
  check(await page.locator('#users-edit').getByLabel('staff', { exact: true }).isChecked(), 'the staff bit is not shown');
  await page.locator('#users-edit').getByLabel('bug_hunter_1', { exact: true }).check();
  await page.locator('#users-edit').getByRole('button', { name: 'Save flags' }).click();
  await result(page.locator('#users-edit .status'));
  const s = await api(url, 'GET', `/api/v6/admin/users?username=${other.username}`, { token: staffToken });
  check(s.body[0].flags === (1 | 8), `a staff member's flags became ${s.body[0].flags}`);
  checkClean(page);
  await context.close();
}

async function softDelete({ browser, url, staff, staffToken }) {
  const user = chatUser();
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/users');
  await page.getByLabel('Username contains').fill(user.username);
  await page.click('#users-search button[type=submit]');
  await result(page.locator('#users-search .status'));
  const del = page.getByRole('button', { name: `Delete ${user.tag}` });
  await del.click();
  await snapshot(page, '13-users-delete-confirm');
  await confirm(page, [user.tag, user.id], { accept: false });
  check((await api(url, 'GET', `/api/v6/admin/users?username=${user.username}`, { token: staffToken })).body.length === 1,
    'the user was deleted after Cancel');
  await del.click();
  await confirm(page, user.tag);
  const row = page.locator(`#users-results tr[data-user-id="${user.id}"]`);
  const r = await result(row.locator('.status'));
  check(r.kind === 'ok' && r.text.includes('Deleted User'), `delete: ${JSON.stringify(r)}`);
  const gone = await api(url, 'GET', `/api/v6/admin/users?username=${user.username}`, { token: staffToken });
  check(gone.body.length === 0, 'the old name still finds the user');
  const login = await api(url, 'POST', '/api/v6/auth/login', { body: { email: user.email, password: user.password } });
  check(login.status === 400, `the deleted user can still log in: ${login.status}`);
  checkClean(page);
  await context.close();
}

export const tests = [
  ['search by username and discriminator, paged as the API pages', searchPages],
  ['create a user; a duplicate email and bad fields are shown next to their fields', createUser],
  ['edit flags; the staff bit is shown, not editable, and kept', editFlags],
  ['soft-delete asks first, naming the user', softDelete],
];
