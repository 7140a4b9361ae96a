// Game: look up an account and a character, sanctions and online state,
// ban/mute (duration, reason, IP), unban/unmute, warp, kick, kill, and a
// ban refused on a stronger account.

import {
  api, gameApi, auditEntries, check, checkClean, confirm, ctl, gamePlayer, gameUser, openConsole, result,
  snapshot, text,
} from './lib.mjs';

const MAP = '0f6ad4c2-6d0e-4a44-9b3c-5f1b8a0e2d71';

async function accountSanctions({ browser, url, gameAdmin }) {
  const hero = gameUser([]);
  const player = gamePlayer(hero);
  ctl('game-presence', player.name, 'online', '--ip', '10.9.8.7');
  const { context, page } = await openConsole(browser, url, { game: gameAdmin }, `#/game?kind=user&lookup=${hero.name}`);
  await result(page.locator('#game-lookup .status'));
  check(await text(page.locator('#game-name')) === hero.name, 'the account is not shown');
  check((await text(page.locator('#game-online'))).includes(`online as ${player.name}`), `online: ${await text(page.locator('#game-online'))}`);
  check(await text(page.locator('#game-ban')) === 'not banned', 'a ban is shown on a fresh account');
  await snapshot(page, '50-game-account');

  const status = page.locator('#game-action-status');
  // a bad duration: the API's message, next to the field
  await page.getByLabel('Duration (days)').fill('0');
  await page.click('#game-ban-button');
  await confirm(page, hero.name);
  let r = await result(status, 'duration');
  check(r.kind === 'error' && r.text.startsWith('duration: must be an integer of days'), `duration 0: ${JSON.stringify(r)}`);
  const did = (await page.getByLabel('Duration (days)').getAttribute('aria-describedby')).split(' ').pop();
  check((await text(page.locator(`#${did}`))).startsWith('must be an integer of days'), 'the duration\'s message is not next to it');

  // ban with reason and IP
  await page.getByLabel('Duration (days)').fill('2');
  await page.getByLabel('Reason', { exact: true }).fill('griefing');
  await page.getByLabel('Also ban or mute the IP address').check();
  await page.click('#game-ban-button');
  await confirm(page, [hero.name, '2 day(s)', 'griefing', 'IP']);
  r = await result(page.locator('#game-action-status'), 'banned');
  check(r.kind === 'ok' && r.text === `${hero.name} has been banned!`, `ban: ${JSON.stringify(r)}`);
  check((await text(page.locator('#game-ban'))).includes('griefing'), `the page's ban: ${await text(page.locator('#game-ban'))}`);
  let stored = await gameApi(url, gameAdmin, 'GET', `/api/v1/users/${hero.id}`);
  check(stored.body.Ban && stored.body.Ban.Reason === 'griefing' && stored.body.Ban.Ip === '10.9.8.7'
    && stored.body.Ban.Moderator === gameAdmin.name, `the API's ban: ${JSON.stringify(stored.body.Ban)}`);
  const days = (new Date(stored.body.Ban.End) - new Date(stored.body.Ban.Start)) / 86400000;
  check(Math.abs(days - 2) < 0.01, `the ban lasts ${days} days`);
  await snapshot(page, '51-game-banned');
  // banned again: the API's refusal
  await page.click('#game-ban-button');
  await confirm(page, hero.name);
  r = await result(page.locator('#game-action-status'), 'already');
  check(r.kind === 'error' && r.text === `${hero.name} has already been banned!`, `second ban: ${JSON.stringify(r)}`);
  // unban
  await page.click('#game-unban-button');
  r = await result(page.locator('#game-action-status'), 'unbanned');
  check(r.text === `${hero.name} has been unbanned!`, `unban: ${JSON.stringify(r)}`);
  stored = await gameApi(url, gameAdmin, 'GET', `/api/v1/users/${hero.id}`);
  check(stored.body.Ban === null, `the API still has a ban: ${JSON.stringify(stored.body.Ban)}`);
  check(await text(page.locator('#game-ban')) === 'not banned', 'the page still shows the ban');

  // mute, unmute
  await page.getByLabel('Also ban or mute the IP address').uncheck();
  await page.getByLabel('Duration (days)').fill('1');
  await page.getByLabel('Reason', { exact: true }).fill('spam');
  await page.click('#game-mute-button');
  await confirm(page, hero.name);
  r = await result(page.locator('#game-action-status'), 'muted');
  check(r.text === `${hero.name} has been muted!`, `mute: ${JSON.stringify(r)}`);
  stored = await gameApi(url, gameAdmin, 'GET', `/api/v1/users/${hero.id}`);
  check(stored.body.Mute && stored.body.Mute.Reason === 'spam' && stored.body.Mute.Ip === null, `the API's mute: ${JSON.stringify(stored.body.Mute)}`);
  check((await text(page.locator('#game-mute'))).includes('muted'), 'the page does not show the mute');
  await page.click('#game-unmute-button');
  r = await result(page.locator('#game-action-status'), 'unmuted');
  check(r.text === `${hero.name} has been unmuted!`, `unmute: ${JSON.stringify(r)}`);
  stored = await gameApi(url, gameAdmin, 'GET', `/api/v1/users/${hero.id}`);
  check(stored.body.Mute === null, 'the API still has a mute');
  checkClean(page);
  await context.close();
}

async function onlineCharacter({ browser, url, gameAdmin }) {
  const owner = gameUser([]);
  const player = gamePlayer(owner);
  ctl('game-presence', player.name, 'online', '--ip', '10.1.1.1');
  const { context, page } = await openConsole(browser, url, { game: gameAdmin }, `#/game?kind=user&lookup=${owner.name}`);
  // from the account to its character, by the link
  await page.getByRole('link', { name: player.name }).click();
  await page.locator('#game-name', { hasText: player.name }).waitFor();
  check(await page.isChecked('#game-kind-player'), 'the look-up is not of a character');
  check((await text(page.locator('#game-online'))).startsWith('online'), 'the character is not shown online');
  await snapshot(page, '52-game-character');

  const status = page.locator('#game-action-status');
  await page.getByLabel('Map id').fill(MAP);
  await page.getByLabel('X', { exact: true }).fill('10');
  await page.getByLabel('Y', { exact: true }).fill('20');
  await page.click('#game-warptoloc-button');
  let r = await result(status, 'Warped');
  check(r.kind === 'ok' && r.text === `Warped '${player.name}' to ${MAP} (10, 20).`, `warptoloc: ${JSON.stringify(r)}`);
  let entry = auditEntries('--target', `player:${player.id}`, '--action', 'game.warptoloc')[0];
  check(entry && entry.actor.name === gameAdmin.name, `no game.warptoloc audit entry: ${JSON.stringify(entry)}`);
  await page.click('#game-warpto-button');
  r = await result(page.locator('#game-action-status'), 'Warped');
  check(r.text.startsWith(`Warped '${player.name}' to ${MAP}`), `warpto: ${JSON.stringify(r)}`);
  // x out of range: the API names it, next to the field
  await page.getByLabel('X', { exact: true }).fill('300');
  await page.click('#game-warptoloc-button');
  r = await result(page.locator('#game-action-status'), 'x:');
  check(r.kind === 'error' && r.text === 'x: must be an integer in 0..255', `x 300: ${JSON.stringify(r)}`);
  const xid = (await page.getByLabel('X', { exact: true }).getAttribute('aria-describedby')).split(' ').pop();
  check(await text(page.locator(`#${xid}`)) === 'must be an integer in 0..255', 'x\'s message is not next to it');

  await page.getByLabel('Kick reason').fill('afk');
  await page.click('#game-kick-button');
  await confirm(page, [player.name, 'afk']);
  r = await result(page.locator('#game-action-status'), 'kicked');
  check(r.text === `${player.name} has been kicked by the server!`, `kick: ${JSON.stringify(r)}`);
  entry = auditEntries('--target', `player:${player.id}`, '--action', 'game.kick')[0];
  check(entry, 'no game.kick audit entry');
  await page.click('#game-kill-button');
  await confirm(page, player.name);
  r = await result(page.locator('#game-action-status'), 'killed');
  check(r.text === `${player.name} has been killed!`, `kill: ${JSON.stringify(r)}`);
  check(auditEntries('--target', `player:${player.id}`, '--action', 'game.kill').length === 1, 'no game.kill audit entry');

  // offline: the online actions are not offered
  ctl('game-presence', player.name, 'offline');
  await page.click('#game-lookup button[type=submit]');
  await page.locator('#game-online', { hasText: 'offline' }).waitFor();
  check(await page.isDisabled('#game-kick-button') && await page.isDisabled('#game-warpto-button'), 'online actions offered offline');
  checkClean(page);
  await context.close();
}

async function strongerRefused({ browser, url, gameAdmin }) {
  const boss = gameUser(['Ban']);
  const { context, page } = await openConsole(browser, url, { game: gameAdmin }, '#/game');
  await page.getByLabel('Name or id').fill(boss.id);
  await page.click('#game-lookup button[type=submit]');
  await page.locator('#game-name', { hasText: boss.name }).waitFor();
  await page.click('#game-ban-button');
  await confirm(page, boss.name);
  const r = await result(page.locator('#game-action-status'));
  check(r.kind === 'error' && r.text === 'You do not have the permission to do this.', `ban of a stronger account: ${JSON.stringify(r)}`);
  const stored = await gameApi(url, gameAdmin, 'GET', `/api/v1/users/${boss.id}`);
  check(stored.body.Ban === null, 'the stronger account was banned');
  // an unknown name: the API's 404 message
  await page.getByLabel('Name or id').fill('NobodyHere');
  await page.click('#game-lookup button[type=submit]');
  const u = await result(page.locator('#game-lookup .status'), 'No user');
  check(u.kind === 'error' && u.text === 'No user found for lookup key \'NobodyHere\'', `unknown: ${JSON.stringify(u)}`);
  checkClean(page);
  await context.close();
}

export const tests = [
  ['an account: sanctions and online state; ban (reason, IP), unban, mute, unmute; bad duration', accountSanctions],
  ['an online character: warp to a map and a location, kick, kill; offline offers none', onlineCharacter],
  ['a ban of a stronger account is refused with the API\'s message', strongerRefused],
];
