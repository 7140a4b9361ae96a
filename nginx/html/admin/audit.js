// The audit log (GET /admin/audit-log, chat staff): filters by actor,
// action, target and time range, newest first, "Older" pages through the
// cursor (next_before). Each entry links to its target's page here.

import { chat } from './api.js';
import { h, field, fill, runAction, statusLine, panel, td, when, pageLink } from './ui.js';

const GUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function named(entry, key) {
  for (const doc of [entry.after, entry.before]) if (doc && typeof doc[key] === 'string') return doc[key];
  return undefined;
}

/** Where the console shows ENTRY's target: a hash link, or null. */
export function targetLink(entry) {
  const { type, id } = entry.target || {};
  if (!type || id === undefined) return null;
  const game = GUID.test(id) || /^(game|player)/.test(entry.action || '');
  switch (type) {
    case 'user':
      return game
        ? pageLink('game', { kind: 'user', lookup: id })
        : pageLink('users', { id, username: named(entry, 'username') });
    case 'player':
      return pageLink('game', { kind: 'player', lookup: id });
    case 'guild':
      return pageLink('guilds', { id });
    case 'invite':
      return pageLink('invites', { code: id });
    case 'voice_region':
      return pageLink('voice', { region: id });
    case 'voice_server':
      return pageLink('voice', { region: named(entry, 'region_id') });
    default:
      return null;
  }
}

// "YYYY-MM-DDTHH:MM" from a datetime-local input, read as UTC.
function utc(value) {
  if (!value) return '';
  return value.length === 16 ? `${value}:00Z` : `${value}Z`;
}

export function create() {
  const el = h('section', { class: 'page', 'aria-labelledby': 'audit-title' });
  const actor = field('Actor id', { name: 'actor', autocomplete: 'off', hint: 'chat user id, game GUID or operator uid' });
  const action = field('Action', { name: 'action', autocomplete: 'off', hint: 'e.g. user.update, game.ban' });
  const target = field('Target', { name: 'target', autocomplete: 'off', hint: 'TYPE:ID, e.g. user:1234' });
  const since = field('Since (UTC)', { name: 'since', type: 'datetime-local', step: '1' });
  const until = field('Until (UTC)', { name: 'until', type: 'datetime-local', step: '1' });
  const limit = field('Per page', { name: 'limit', tag: 'select', choices: [['20', '20'], ['50', '50'], ['100', '100']] });
  limit.input.value = '50';
  const search = h('button', { type: 'submit' }, 'Show');
  const status = statusLine();
  const form = h('form', { id: 'audit-filters', novalidate: true },
    h('div', { class: 'fields' }, actor.wrap, action.wrap, target.wrap),
    h('div', { class: 'fields' }, since.wrap, until.wrap, limit.wrap),
    h('div', { class: 'buttons' }, search), status);
  const rows = h('tbody', { id: 'audit-rows' });
  const list = h('div', { id: 'audit-list' });
  const older = h('button', { type: 'button', class: 'secondary', id: 'audit-older', hidden: true }, 'Older');
  const olderStatus = statusLine();
  olderStatus.id = 'audit-older-status';
  let query = null;
  let nextBefore = null;
  let loadedOnce = false;

  function entryRow(e) {
    const link = targetLink(e);
    const t = `${e.target ? e.target.type : '?'}:${e.target ? e.target.id : '?'}`;
    const details = e.before || e.after
      ? h('details', {}, h('summary', {}, 'Before / after'),
        e.before ? [h('p', { class: 'hint' }, 'Before'), h('pre', {}, JSON.stringify(e.before, null, 1))] : null,
        e.after ? [h('p', { class: 'hint' }, 'After'), h('pre', {}, JSON.stringify(e.after, null, 1))] : null)
      : null;
    const a = e.actor || {};
    return h('tr', { 'data-entry-id': e.id },
      td(when(e.created_at)),
      td(h('span', { class: 'tag' }, a.realm || '?'), ' ', h('span', { class: 'actor-name' }, a.name || '—'),
        h('br'), h('span', { class: 'mono hint' }, a.id || '')),
      td(h('span', { class: 'mono' }, e.action)),
      td(link ? h('a', { href: link, class: 'target-link' }, t) : h('span', { class: 'mono' }, t)),
      td(details, e.request_id ? h('span', { class: 'mono hint' }, `request ${e.request_id}`) : null));
  }

  async function fetchPage(button, statusEl, append) {
    const params = new URLSearchParams(query);
    if (append && nextBefore) params.set('before', nextBefore);
    return runAction({ button, status: statusEl, form: append ? null : form, working: 'Loading…' }, async () => {
      const answer = await chat('GET', `/admin/audit-log?${params}`);
      if (!append) rows.replaceChildren();
      for (const e of answer.entries) rows.append(entryRow(e));
      nextBefore = answer.next_before;
      older.hidden = !nextBefore;
      const n = rows.children.length;
      return `${n} entr${n === 1 ? 'y' : 'ies'} shown${nextBefore ? '; older ones remain' : ', the oldest included'}.`;
    });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    query = {};
    for (const [name, value] of [['actor', actor.input.value.trim()], ['action', action.input.value.trim()],
      ['target', target.input.value.trim()], ['since', utc(since.input.value)], ['until', utc(until.input.value)],
      ['limit', limit.input.value]]) {
      if (value) query[name] = value;
    }
    nextBefore = null;
    fetchPage(search, status, false);
  });
  older.addEventListener('click', () => fetchPage(older, olderStatus, true));

  fill(list, h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Audit entries' },
    h('table', {}, h('caption', {}, 'Audit entries, newest first'),
      h('thead', {}, h('tr', {}, ['When', 'Who', 'What', 'Target', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
      rows)));

  fill(el,
    h('h1', { id: 'audit-title', tabindex: '-1' }, 'Audit log'),
    panel('Filters', h('p', { class: 'hint' }, 'Both realms and wardenctl; every filter optional.'), form),
    panel('Entries', list, h('div', { class: 'buttons' }, older), olderStatus));

  return {
    el,
    show(params) {
      let changed = false;
      for (const [name, f] of [['actor', actor], ['action', action], ['target', target]]) {
        if (params.has(name)) { f.input.value = params.get(name); changed = true; }
      }
      if (!loadedOnce || changed) {
        loadedOnce = true;
        form.requestSubmit();
      }
    },
  };
}
