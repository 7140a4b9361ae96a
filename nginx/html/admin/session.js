// The console's sessions, one per realm: the chat staff token and the game
// admin's OAuth tokens. They live in sessionStorage (this tab only, gone
// with it), never in localStorage or cookies. The game access token is
// refreshed with its refresh token before it expires.

import { anonymous, ApiError } from './api.js';
import { sha256Hex } from './sha256.js';

const KEYS = { chat: 'warden-admin-chat', game: 'warden-admin-game' };
const STAFF = 1;

function load(realm) {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEYS[realm]) || 'null');
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

function store(realm, value) {
  if (value) sessionStorage.setItem(KEYS[realm], JSON.stringify(value));
  else sessionStorage.removeItem(KEYS[realm]);
}

const listeners = new Set();
let refreshTimer = null;
let refreshing = null;

export const session = {
  chat: load('chat'),
  game: load('game'),

  /** FN(event) on every change: {type: 'signin'|'signout'|'expired', realm, message?}. */
  subscribe(fn) {
    listeners.add(fn);
  },

  /** Forget REALM's tokens after the API refused them; MESSAGE is the API's. */
  expire(realm, message) {
    if (!this[realm]) return;
    this.set(realm, null);
    notify({ type: 'expired', realm, message });
  },

  set(realm, value) {
    this[realm] = value;
    store(realm, value);
    if (realm === 'game') scheduleRefresh();
  },

  signOut() {
    this.set('chat', null);
    this.set('game', null);
    notify({ type: 'signout' });
  },

  /** A game access token good for a few more seconds, refreshing first when needed. */
  async gameAccess() {
    if (!this.game) return null;
    if (Date.now() > this.game.expiresAt - 5000) await refreshGame();
    return this.game ? this.game.access : null;
  },
};

function notify(event) {
  for (const fn of listeners) fn(event);
}

/**
 * Chat staff sign-in: the login route, then /users/@me for who it is. An
 * account without the staff bit is refused (the admin routes would answer
 * 403 "you are not staff" to everything) and its token dropped.
 */
export async function chatSignIn(email, password) {
  const { token } = await anonymous('chat', 'POST', '/api/v6/auth/login', { email, password });
  const me = await anonymous('chat', 'GET', '/api/v6/users/@me', undefined, token);
  const tag = `${me.username}#${me.discriminator}`;
  if (!(me.flags & STAFF)) {
    throw new ApiError(403, `${tag} is not staff: the console needs the staff bit, which an operator grants with wardenctl make-staff.`);
  }
  session.set('chat', { token, id: me.id, tag });
  notify({ type: 'signin', realm: 'chat' });
}

function gameTokens(answer, name) {
  const lifetime = Number(answer.expires_in) || 60;
  return {
    access: answer.access_token,
    refresh: answer.refresh_token,
    lifetime,
    expiresAt: Date.now() + lifetime * 1000,
    name,
  };
}

/** Game admin sign-in: the OAuth password grant, with the password's SHA-256 (hex) as the game's clients send it. */
export async function gameSignIn(username, password) {
  const digest = await sha256Hex(password);
  const answer = await anonymous('game', 'POST', '/api/oauth/token',
    { grant_type: 'password', username, password: digest });
  session.set('game', gameTokens(answer, username));
  notify({ type: 'signin', realm: 'game' });
}

// One refresh at a time: a refresh token is used once.
function refreshGame() {
  if (!refreshing) {
    const current = session.game;
    refreshing = anonymous('game', 'POST', '/api/oauth/token',
      { grant_type: 'refresh_token', refresh_token: current.refresh })
      .then((answer) => {
        if (session.game === current) session.set('game', gameTokens(answer, current.name));
      }, (err) => {
        if (session.game === current) session.expire('game', err.message);
      })
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

// Refresh a third of the lifetime before the end (at most a minute before).
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = null;
  const g = session.game;
  if (!g) return;
  const margin = Math.min(60000, (g.lifetime * 1000) / 3);
  const delay = Math.max(0, g.expiresAt - margin - Date.now());
  refreshTimer = setTimeout(() => { if (session.game) refreshGame(); }, delay);
}

scheduleRefresh();
