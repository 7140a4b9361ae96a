// Sign-in: chat staff, game admins (password grant, refresh before expiry),
// sign-out, and the ways a session ends (wrong password, non-staff, an
// expired game token, a revoked chat token), each keeping the page.

import {
  api, check, checkClean, chatUser, ctl, gameUser, newPage, openConsole, result, signIn, snapshot, text,
  GAME_ACCESS_TTL,
} from './lib.mjs';

async function storage(page) {
  return page.evaluate(() => ({
    session: Object.keys(sessionStorage),
    local: localStorage.length,
    cookies: document.cookie,
  }));
}

async function staffSignsInAndOut({ browser, url, staff }) {
  const { context, page } = await newPage(browser);
  await page.goto(`${url}/admin/`);
  await page.locator('#signin-chat-form').waitFor();
  await snapshot(page, '00-signin');
  await signIn(page, 'chat', staff);
  const nav = await page.locator('#nav-list a').allTextContents();
  check(JSON.stringify(nav) === JSON.stringify(['Users', 'Invites', 'Voice', 'Guilds', 'Audit log']),
    `the chat staff's pages are ${JSON.stringify(nav)}`);
  check((await text(page.locator('#who-text'))).includes(staff.tag), 'the header does not name the staff member');
  const stored = await storage(page);
  check(stored.session.includes('warden-admin-chat'), `sessionStorage keys: ${stored.session}`);
  check(stored.local === 0 && stored.cookies === '', `tokens outside sessionStorage: ${JSON.stringify(stored)}`);
  const kept = await page.evaluate(() => sessionStorage.getItem('warden-admin-chat'));
  const token = JSON.parse(kept).token;
  const me = await api(url, 'GET', '/api/v6/users/@me', { token });
  check(me.status === 200 && me.body.id === staff.id, `the stored token is not the staff member's: ${me.status}`);

  await page.click('#signout');
  await page.locator('#signin-chat-form').waitFor();
  check((await text(page.locator('#signin-notice'))).includes('Signed out'), 'no word of the sign-out');
  const after = await storage(page);
  check(after.session.length === 0 && after.local === 0, `tokens kept after sign-out: ${JSON.stringify(after)}`);
  check(await page.locator('#pages').isHidden(), 'the pages are still shown after sign-out');
  checkClean(page);
  await context.close();
}

async function wrongPassword({ browser, url, staff }) {
  const expected = await api(url, 'POST', '/api/v6/auth/login', { body: { email: staff.email, password: 'not-the-password' } });
  const { context, page } = await newPage(browser);
  await page.goto(`${url}/admin/`);
  await signIn(page, 'chat', { ...staff, password: 'not-the-password' }, { expectConsole: false });
  const r = await result(page.locator('#signin-chat-form .status'));
  check(r.kind === 'error' && r.text === expected.body.message, `shown ${JSON.stringify(r)}, the API says ${expected.body.message}`);
  check(await page.locator('#pages').isHidden(), 'the console opened after a wrong password');
  check((await storage(page)).session.length === 0, 'a token was stored after a wrong password');

  // The game's wrong password, the same way.
  const admin = gameUser(['Api']);
  await signIn(page, 'game', { ...admin, password: 'wrong' }, { expectConsole: false });
  const g = await result(page.locator('#signin-game-form .status'));
  check(g.kind === 'error' && g.text === 'Invalid credentials', `game sign-in shows ${JSON.stringify(g)}`);
  await snapshot(page, '01-signin-wrong-password');
  checkClean(page);
  await context.close();
}

async function nonStaffRefused({ browser, url }) {
  const user = chatUser();
  const { context, page } = await newPage(browser);
  await page.goto(`${url}/admin/`);
  await signIn(page, 'chat', user, { expectConsole: false });
  const r = await result(page.locator('#signin-chat-form .status'));
  check(r.kind === 'error' && r.text.includes(`${user.tag} is not staff`), `a non-staff account shows ${JSON.stringify(r)}`);
  check(await page.locator('#pages').isHidden(), 'the console opened for a non-staff account');
  check((await storage(page)).session.length === 0, 'a non-staff token was stored');
  checkClean(page);
  await context.close();
}

async function gameSignInRefreshes({ browser, url, gameAdmin }) {
  const { context, page } = await newPage(browser);
  const grants = [];
  page.on('request', (req) => {
    if (req.url().endsWith('/api/oauth/token')) grants.push(req.postDataJSON());
  });
  await page.goto(`${url}/admin/`);
  await signIn(page, 'game', gameAdmin);
  const nav = await page.locator('#nav-list a').allTextContents();
  check(JSON.stringify(nav) === JSON.stringify(['Game']), `a game admin's pages are ${JSON.stringify(nav)}`);
  check(grants.length === 1 && grants[0].grant_type === 'password', `grants: ${JSON.stringify(grants)}`);
  check(/^[0-9a-f]{64}$/.test(grants[0].password), 'the password was not sent as its SHA-256 hex');
  const stored = await storage(page);
  check(stored.session.includes('warden-admin-game') && stored.local === 0 && stored.cookies === '',
    `game tokens stored as ${JSON.stringify(stored)}`);
  // Outlive the access token: the console refreshes it on its own.
  await page.waitForTimeout((GAME_ACCESS_TTL + 2) * 1000);
  check(grants.some((g) => g.grant_type === 'refresh_token'), `no refresh within ${GAME_ACCESS_TTL + 2} s: ${JSON.stringify(grants)}`);
  await page.getByLabel('Name or id').fill(gameAdmin.name);
  await page.click('#game-lookup button[type=submit]');
  const r = await result(page.locator('#game-lookup .status'));
  check(r.kind === 'ok' && r.text.includes(gameAdmin.name), `a look-up after the refresh shows ${JSON.stringify(r)}`);
  checkClean(page);
  await context.close();
}

async function expiredGameToken({ browser, url, gameAdmin }) {
  const { context, page } = await newPage(browser);
  // The page's clock stands still while the server's runs: the console
  // believes its token fresh and sends it after it has expired.
  await page.clock.install();
  await page.goto(`${url}/admin/`);
  await signIn(page, 'game', gameAdmin);
  await page.getByLabel('Name or id').fill(gameAdmin.name);
  await page.clock.pauseAt(new Date(Date.now() + 1000));
  await new Promise((r) => setTimeout(r, (GAME_ACCESS_TTL + 2) * 1000));
  await page.click('#game-lookup button[type=submit]');
  await page.locator('#signin-game-form').waitFor();
  const notice = await text(page.locator('#signin-notice'));
  check(notice.includes('Authorization has been denied for this request.'), `the sign-in says ${JSON.stringify(notice)}`);
  check(await page.locator('#pages').isHidden(), 'the page is still shown');
  await page.clock.resume();
  await signIn(page, 'game', gameAdmin);
  check(await page.getByLabel('Name or id').inputValue() === gameAdmin.name, 'the look-up typed before was lost');
  await page.click('#game-lookup button[type=submit]');
  const r = await result(page.locator('#game-lookup .status'), 'found');
  check(r.kind === 'ok', `the look-up after signing in again: ${JSON.stringify(r)}`);
  checkClean(page);
  await context.close();
}

async function revokedChatToken({ browser, url }) {
  const staff = chatUser({ staff: true });
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/users');
  await page.getByLabel('Username contains').fill(staff.username);
  // A password change revokes every token of the account.
  staff.password = `${staff.password}-new`;
  ctl('set-password', staff.username, staff.discriminator, staff.password);
  await page.click('#users-search button[type=submit]');
  await page.locator('#signin-chat-form').waitFor();
  const notice = await text(page.locator('#signin-notice'));
  check(/Your chat session has ended \((Invalid token|User ID not found|.*)\)/.test(notice) && notice.length > 30,
    `the sign-in says ${JSON.stringify(notice)}`);
  await signIn(page, 'chat', staff);
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  check(await page.getByLabel('Username contains').inputValue() === staff.username, 'the search typed before was lost');
  await page.click('#users-search button[type=submit]');
  const r = await result(page.locator('#users-search .status'));
  check(r.kind === 'ok', `the search after signing in again: ${JSON.stringify(r)}`);
  checkClean(page);
  await context.close();
}

async function bothRealms({ browser, url, staff, gameAdmin }) {
  const { context, page } = await openConsole(browser, url, { chat: staff, game: gameAdmin });
  const nav = await page.locator('#nav-list a').allTextContents();
  check(nav.length === 6 && nav.includes('Game') && nav.includes('Users'), `both realms' pages: ${JSON.stringify(nav)}`);
  check(await page.locator('#signin-more').isHidden(), 'a sign-in button is offered with both realms signed in');
  // A reload of the tab keeps both sessions (sessionStorage).
  await page.reload();
  await page.locator('#pages').waitFor({ state: 'visible' });
  check((await page.locator('#nav-list a').count()) === 6, 'a reload lost a session');
  checkClean(page);
  await context.close();
}

async function otherRealmsLink({ browser, url, staff, gameAdmin }) {
  // A link to the game page (the audit log gives them) with only the chat signed in.
  const { context, page } = await openConsole(browser, url, { chat: staff }, '#/users');
  await page.goto(`${url}/admin/#/game?kind=user&lookup=${gameAdmin.name}`);
  await page.locator('#signin-game-form').waitFor();
  const notice = await text(page.locator('#signin-notice'));
  check(notice === 'The Game page needs the game sign-in.', `the notice: ${JSON.stringify(notice)}`);
  await signIn(page, 'game', gameAdmin);
  await page.locator('#game-name', { hasText: gameAdmin.name }).waitFor();
  check((await page.locator('#nav-list a').count()) === 6, 'both realms are not signed in');
  checkClean(page);
  await context.close();
}

export const tests = [
  ['chat staff sign in, tokens only in sessionStorage, sign-out forgets them', staffSignsInAndOut],
  ['a wrong password shows the API\'s message', wrongPassword],
  ['a non-staff account is refused', nonStaffRefused],
  ['a game admin signs in with the SHA-256 step and the token is refreshed before it expires', gameSignInRefreshes],
  ['an expired game token returns to sign-in and the page is kept', expiredGameToken],
  ['a revoked chat token returns to sign-in and the page is kept', revokedChatToken],
  ['both realms at once, kept across a reload', bothRealms],
  ['a link to the other realm\'s page asks for its sign-in, then opens it', otherRealmsLink],
];
