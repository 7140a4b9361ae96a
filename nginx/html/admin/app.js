// The console's shell: sign-in, the navigation, and the pages (one module
// each), routed by the location's hash (#/users, #/guilds?id=...). A page's
// DOM is built once and kept while the session lasts, so leaving it (or a
// 401 sending the admin to the sign-in) keeps what was typed and shown.

import { session, chatSignIn, gameSignIn } from './session.js';
import { h, field, fill, runAction, statusLine, parseHash } from './ui.js';
import * as users from './users.js';
import * as invites from './invites.js';
import * as voice from './voice.js';
import * as guilds from './guilds.js';
import * as game from './game.js';
import * as audit from './audit.js';

// name, title, realm it needs, module
const PAGES = [
  ['users', 'Users', 'chat', users],
  ['invites', 'Invites', 'chat', invites],
  ['voice', 'Voice', 'chat', voice],
  ['guilds', 'Guilds', 'chat', guilds],
  ['game', 'Game', 'game', game],
  ['audit', 'Audit log', 'chat', audit],
];

const $ = (id) => document.getElementById(id);
let built = new Map(); // page name -> {el, show(params)}
let signinRequested = false;

function available() {
  return PAGES.filter(([, , realm]) => session[realm]);
}

function renderNav(current) {
  fill($('nav-list'), available().map(([name, title]) => h('li', {},
    h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : false }, title))));
  const who = [];
  if (session.chat) who.push(`chat: ${session.chat.tag}`);
  if (session.game) who.push(`game: ${session.game.name}`);
  $('who-text').textContent = `Signed in (${who.join(', ')})`;
  $('signin-more').hidden = Boolean(session.chat && session.game);
  $('signin-more').textContent = session.chat ? 'Sign in to the game' : 'Sign in to the chat';
}

function showSignin(notice) {
  $('signin').hidden = false;
  $('pages').hidden = true;
  $('nav').hidden = available().length === 0;
  $('who').hidden = available().length === 0;
  $('signin-notice').textContent = notice || '';
  $('signin-back').hidden = available().length === 0;
  renderSigninForms();
  renderNav(null);
  document.title = 'Sign in · Warden console';
  const first = document.querySelector('#signin input');
  if (first) first.focus();
}

function route() {
  if (available().length === 0 || signinRequested) {
    showSignin($('signin-notice').textContent);
    return;
  }
  const { page, params } = parseHash(location.hash);
  const wanted = PAGES.find(([name]) => name === page);
  if (wanted && !session[wanted[2]]) {
    // A link to the other realm's page (from the audit log): its sign-in first.
    signinRequested = true;
    showSignin(`The ${wanted[1]} page needs the ${wanted[2]} sign-in.`);
    return;
  }
  const entry = wanted || available()[0];
  const [name, title, , module] = entry;
  if (name !== page) {
    history.replaceState(null, '', `#/${name}`);
  }
  $('signin').hidden = true;
  $('pages').hidden = false;
  $('nav').hidden = false;
  $('who').hidden = false;
  renderNav(name);
  if (!built.has(name)) {
    const p = module.create();
    built.set(name, p);
    $('pages').append(p.el);
  }
  for (const [other, p] of built) p.el.hidden = other !== name;
  document.title = `${title} · Warden console`;
  built.get(name).show(params);
}

function signinForm(realm) {
  const isChat = realm === 'chat';
  const title = isChat ? 'Chat staff' : 'Game admin';
  const slot = $(isChat ? 'signin-chat' : 'signin-game');
  if (session[realm]) {
    fill(slot, h('section', { class: 'panel', 'aria-label': title },
      h('h2', {}, title),
      h('p', {}, `Signed in as ${isChat ? session.chat.tag : session.game.name}.`)));
    return;
  }
  const first = isChat
    ? field('Email', { name: 'email', type: 'email', required: true, autocomplete: 'username' })
    : field('Account name', { name: 'username', required: true, autocomplete: 'username', maxlength: 64 });
  const password = field('Password', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const button = h('button', { type: 'submit' }, `Sign in as ${isChat ? 'staff' : 'game admin'}`);
  const status = statusLine();
  const form = h('form', { class: 'panel', 'aria-label': `${title} sign-in`, id: `signin-${realm}-form` },
    h('h2', {}, title),
    h('p', { class: 'hint' }, isChat
      ? 'Your chat account\'s email and password; the account needs the staff bit.'
      : 'An account with the Api right (UserQuery too for account look-ups).'),
    first.wrap, password.wrap, h('div', { class: 'buttons' }, button), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = await runAction({ button, status, form, working: 'Signing in…' }, async () => {
      if (isChat) await chatSignIn(first.input.value, password.input.value);
      else await gameSignIn(first.input.value, password.input.value);
      return 'Signed in.';
    });
    if (ok) password.input.value = '';
  });
  fill(slot, form);
}

function renderSigninForms() {
  signinForm('chat');
  signinForm('game');
}

session.subscribe((event) => {
  if (event.type === 'signout') {
    for (const p of built.values()) p.el.remove();
    built = new Map();
    signinRequested = false;
    $('signin-notice').textContent = 'Signed out: the tokens are forgotten.';
    showSignin($('signin-notice').textContent);
  } else if (event.type === 'expired') {
    // The pages stay as they are (hidden): signing in again brings them back.
    signinRequested = true;
    const realm = event.realm === 'chat' ? 'chat' : 'game';
    showSignin(`Your ${realm} session has ended (${event.message}). Sign in again to carry on where you were.`);
  } else if (event.type === 'signin') {
    // Back to where the admin was; a first sign-in opens the first page.
    signinRequested = false;
    $('signin-notice').textContent = '';
    route();
    const heading = document.querySelector('#pages > section:not([hidden]) h1');
    if (heading) heading.focus();
  }
});

$('signout').addEventListener('click', () => session.signOut());
$('signin-more').addEventListener('click', () => { signinRequested = true; showSignin(''); });
$('signin-back').addEventListener('click', () => {
  signinRequested = false;
  const wanted = PAGES.find(([name]) => name === parseHash(location.hash).page);
  if (wanted && !session[wanted[2]]) history.replaceState(null, '', `#/${available()[0][0]}`);
  route();
});
window.addEventListener('hashchange', () => { signinRequested = false; route(); });
route();
