// Calls to the two APIs, same origin. Each answer that is not a 2xx becomes
// an ApiError carrying the API's own message (chat "message", game
// "Message", nginx's JSON pages carry both) and, for the chat API's
// validation failures, its per-field messages. A 401 (and the chat API's
// 403 for a token that no longer holds) ends that realm's session: the
// session module then shows the sign-in, leaving the page as it is.

import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, message, fields = {}, body = null) {
    super(message);
    this.status = status;
    this.fields = fields;
    this.body = body;
  }
}

// The chat API names bad fields at the top level ({"username": ["..."]});
// an "errors" object (Discord's newer shape) is read too.
function chatFields(body) {
  const fields = {};
  const sources = [body, body && typeof body.errors === 'object' ? body.errors : null];
  for (const source of sources) {
    if (!source || typeof source !== 'object') continue;
    for (const [key, value] of Object.entries(source)) {
      if (Array.isArray(value) && value.every((m) => typeof m === 'string')) fields[key] = value;
      else if (typeof value === 'string' && source !== body) fields[key] = [value];
      else if (value && Array.isArray(value._errors)) fields[key] = value._errors.map((e) => e.message || String(e));
    }
  }
  return fields;
}

// The game API names the bad field at the start of its message ("x: must be ...").
function gameFields(message) {
  const m = /^([A-Za-z]+): /.exec(message || '');
  return m ? { [m[1].toLowerCase()]: [message.slice(m[0].length)] } : {};
}

async function parse(res) {
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') || '';
  if (!type.includes('json')) {
    const text = await res.text();
    return text ? { message: text.slice(0, 200) } : null;
  }
  try {
    return await res.json();
  } catch {
    return null;
  }
}

async function send(realm, method, path, body, auth) {
  const headers = {};
  if (auth) headers.Authorization = auth;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, `The server did not answer (${err.message}).`);
  }
  const data = await parse(res);
  if (res.ok) return data;
  const message = (data && (realm === 'game' ? data.Message || data.message : data.message || data.Message))
    || `HTTP ${res.status}`;
  const fields = realm === 'game' ? gameFields(message) : chatFields(data);
  throw new ApiError(res.status, message, fields, data);
}

function ended(realm, err) {
  if (err.status === 401) return true;
  // A token whose signature no longer holds (password changed) or whose
  // user lost the staff bit: signing in again is the way out.
  return realm === 'chat' && err.status === 403 && /^(Invalid token|you are not staff)$/.test(err.message);
}

/** A chat API call with the session's token. Resolves to the JSON answer (null for 204). */
export async function chat(method, path, body) {
  const token = session.chat && session.chat.token;
  if (!token) {
    session.expire('chat', 'Sign in to the chat API first.');
    throw new ApiError(401, 'Sign in to the chat API first.');
  }
  try {
    return await send('chat', method, `/api/v6${path}`, body, token);
  } catch (err) {
    if (ended('chat', err)) session.expire('chat', err.message);
    throw err;
  }
}

/** A game API call with the session's access token, refreshed first when it is about to expire. */
export async function game(method, path, body) {
  const access = await session.gameAccess();
  if (!access) {
    session.expire('game', 'Sign in to the game API first.');
    throw new ApiError(401, 'Sign in to the game API first.');
  }
  try {
    return await send('game', method, `/api/v1${path}`, body, `Bearer ${access}`);
  } catch (err) {
    if (ended('game', err)) session.expire('game', err.message);
    throw err;
  }
}

/** An unauthenticated call (sign-in, token grants), in REALM's error shape. */
export function anonymous(realm, method, path, body, auth) {
  return send(realm, method, path, body, auth);
}
