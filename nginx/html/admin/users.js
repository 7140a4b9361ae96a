// Users: search (the API's own paging: page and per_page, no total), create,
// edit flags (the staff bit shown, not editable), soft-delete.

import { chat } from './api.js';
import { h, field, fill, runAction, statusLine, setStatus, panel, table, td, confirmAction } from './ui.js';

const STAFF = 1;
// The user flag bits of the chat spec, staff first.
export const FLAGS = [
  [1, 'staff'], [2, 'partner'], [4, 'hypesquad'], [8, 'bug_hunter_1'], [16, 'mfa_sms'],
  [32, 'premium_dismissed'], [64, 'hsquad_house_1'], [128, 'hsquad_house_2'], [256, 'hsquad_house_3'],
  [512, 'premium_early'], [4096, 'unread_system'], [8192, 'unread_urgent_system'],
  [16384, 'bug_hunter_2'], [32768, 'underage_deleted'], [65536, 'verified_bot'],
  [131072, 'verified_developer'], [262144, 'certified_moderator'],
];

function flagNames(flags) {
  const names = FLAGS.filter(([bit]) => flags & bit).map(([, name]) => name);
  const known = FLAGS.reduce((all, [bit]) => all | bit, 0);
  if (flags & ~known) names.push(`other bits ${flags & ~known}`);
  return names;
}

export function create() {
  const el = h('section', { class: 'page', 'aria-labelledby': 'users-title' });
  const state = { query: null, page: 0, perPage: 20, highlight: null };

  // --- search ---
  const username = field('Username contains', { name: 'username', maxlength: 30, autocomplete: 'off' });
  const discriminator = field('Discriminator', { name: 'discriminator', inputmode: 'numeric', maxlength: 4, pattern: '[0-9]{1,4}', autocomplete: 'off' });
  const perPage = field('Per page', { name: 'per_page', tag: 'select', choices: [['5', '5'], ['20', '20'], ['50', '50']] });
  perPage.input.value = '20';
  const searchButton = h('button', { type: 'submit' }, 'Search');
  const searchStatus = statusLine();
  const results = h('div', { id: 'users-results' });
  const prev = h('button', { type: 'button', class: 'secondary', id: 'users-prev', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', class: 'secondary', id: 'users-next', disabled: true }, 'Next page');
  const pageInfo = h('span', { id: 'users-page', 'aria-live': 'polite' });
  const searchForm = h('form', { id: 'users-search', novalidate: true },
    h('div', { class: 'fields' }, username.wrap, discriminator.wrap, perPage.wrap),
    h('div', { class: 'buttons' }, searchButton), searchStatus);
  const editSlot = h('div');

  async function search() {
    const params = new URLSearchParams();
    if (state.query.username) params.set('username', state.query.username);
    if (state.query.discriminator) params.set('discriminator', state.query.discriminator);
    params.set('page', String(state.page));
    params.set('per_page', String(state.perPage));
    prev.disabled = true;
    next.disabled = true;
    const found = await runAction({ button: searchButton, status: searchStatus, form: searchForm, working: 'Searching…' },
      async () => {
        const list = await chat('GET', `/admin/users?${params}`);
        renderResults(list);
        const from = state.page * state.perPage;
        return list.length
          ? `Page ${state.page + 1}: users ${from + 1}–${from + list.length}.`
          : `No user on page ${state.page + 1}.`;
      });
    if (found === undefined) fill(results);
  }

  function renderResults(list) {
    pageInfo.textContent = `Page ${state.page + 1}`;
    prev.disabled = state.page === 0;
    // The API gives no total: a full page may have a next one.
    next.disabled = list.length < state.perPage;
    const rows = list.map((u) => userRow(u));
    fill(results, table('Users found', ['Id', 'User', 'Flags', 'Actions'], rows));
  }

  function userRow(u) {
    const tag = `${u.username}#${u.discriminator}`;
    const status = statusLine();
    const edit = h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit flags of ${tag}` }, 'Edit flags');
    const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${tag}` }, 'Delete');
    const row = h('tr', { 'data-user-id': u.id, class: state.highlight === u.id ? 'highlight' : false },
      td(h('span', { class: 'mono' }, u.id)),
      td(h('span', { class: 'user-tag' }, tag)),
      td(flagNames(u.flags).map((n) => h('span', { class: n === 'staff' ? 'tag good' : 'tag' }, n)),
        u.flags ? null : h('span', { class: 'hint' }, 'none')),
      td(h('div', { class: 'buttons' }, edit, del), status));
    edit.addEventListener('click', () => openEditor(u, row));
    del.addEventListener('click', async () => {
      const ok = await confirmAction(`Delete ${tag}?`,
        `${tag} (id ${u.id}) will be soft-deleted: renamed "Deleted User …", email, avatar and flags cleared, password made unusable, every token revoked and every session disconnected. This cannot be undone.`,
        `Delete ${tag}`);
      if (!ok) { setStatus(status, 'busy', 'Not deleted.'); return; }
      await runAction({ button: del, status, working: `Deleting ${tag}…` }, async () => {
        const answer = await chat('DELETE', `/admin/users/${encodeURIComponent(u.id)}`);
        const renamed = answer && answer.new ? answer.new : null;
        if (renamed) {
          row.querySelector('.user-tag').textContent = `${renamed.username}#${renamed.discriminator}`;
          del.disabled = true;
          edit.disabled = true;
        }
        return `Deleted: now ${renamed ? `${renamed.username}#${renamed.discriminator}` : 'gone'}.`;
      });
    });
    return row;
  }

  function openEditor(u, row) {
    const tag = `${u.username}#${u.discriminator}`;
    const boxes = FLAGS.map(([bit, name]) => {
      const f = field(name, {
        type: 'checkbox', name: `flag-${name}`, 'data-bit': bit,
        disabled: bit === STAFF,
        hint: bit === STAFF ? 'Not editable here: an operator grants or removes staff with wardenctl make-staff / unmake-staff (the API refuses any change of this bit).' : null,
      });
      f.input.checked = Boolean(u.flags & bit);
      if (bit === STAFF) f.wrap.classList.add('staff-flag');
      return f;
    });
    const known = FLAGS.reduce((all, [bit]) => all | bit, 0);
    const save = h('button', { type: 'submit' }, 'Save flags');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Close');
    const status = statusLine();
    const flagsSlot = h('span', { class: 'field-error', id: 'users-flags-error' });
    const form = h('form', { id: 'users-edit' },
      h('fieldset', {}, h('legend', {}, `Flags of ${tag} (id ${u.id})`),
        h('div', { class: 'flag-grid' }, boxes.map((b) => b.wrap))),
      h('input', { type: 'hidden', name: 'flags', props: { fieldError: flagsSlot } }), flagsSlot,
      h('div', { class: 'buttons' }, save, cancel), status);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      let flags = u.flags & ~known; // bits the console does not name are kept
      for (const b of boxes) if (b.input.checked) flags |= Number(b.input.dataset.bit);
      await runAction({ button: save, status, form, working: 'Saving…' }, async () => {
        const updated = await chat('PATCH', `/admin/users/${encodeURIComponent(u.id)}`, { flags });
        u.flags = updated.flags;
        row.replaceWith(userRow(updated));
        return `Saved: flags of ${tag} are now ${updated.flags}.`;
      });
    });
    cancel.addEventListener('click', () => { fill(editSlot); row.querySelector('button').focus(); });
    fill(editSlot, panel(`Edit ${tag}`, form));
    boxes[1].input.focus();
  }

  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    state.query = { username: username.input.value, discriminator: discriminator.input.value.trim() };
    state.perPage = Number(perPage.input.value);
    state.page = 0;
    fill(editSlot);
    search();
  });
  prev.addEventListener('click', () => { state.page = Math.max(0, state.page - 1); search(); });
  next.addEventListener('click', () => { state.page += 1; search(); });

  // --- create ---
  const cName = field('Username', { name: 'username', required: true, maxlength: 30, autocomplete: 'off', hint: '2–30 letters, digits, _ or spaces' });
  const cEmail = field('Email', { name: 'email', type: 'email', required: true, autocomplete: 'off' });
  const cPassword = field('Password', { name: 'password', type: 'password', required: true, autocomplete: 'new-password', hint: 'at least 5 characters' });
  const createButton = h('button', { type: 'submit' }, 'Create user');
  const createStatus = statusLine();
  const createForm = h('form', { id: 'users-create', novalidate: true },
    h('div', { class: 'fields' }, cName.wrap, cEmail.wrap, cPassword.wrap),
    h('div', { class: 'buttons' }, createButton), createStatus);
  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    await runAction({ button: createButton, status: createStatus, form: createForm, working: 'Creating…' }, async () => {
      const u = await chat('PUT', '/admin/users',
        { username: cName.input.value, email: cEmail.input.value, password: cPassword.input.value });
      cPassword.input.value = '';
      return `Created ${u.username}#${u.discriminator} (id ${u.id}).`;
    });
  });

  fill(el,
    h('h1', { id: 'users-title', tabindex: '-1' }, 'Users'),
    h('div', { class: 'columns' },
      panel('Search', h('p', { class: 'hint' }, 'By username (a literal substring, case-sensitive) and/or discriminator; at least one.'), searchForm),
      panel('Create a user', createForm)),
    panel('Results', results, h('div', { class: 'buttons' }, prev, pageInfo, next)),
    editSlot);

  return {
    el,
    show(params) {
      // From the audit log: #/users?username=NAME&id=ID searches and marks the row.
      const name = params.get('username');
      const id = params.get('id');
      if (!name && !id) return;
      state.highlight = id;
      if (name) {
        username.input.value = name;
        discriminator.input.value = params.get('discriminator') || '';
        searchForm.requestSubmit();
      } else {
        setStatus(searchStatus, 'busy', `User id ${id}: the API searches by name only; enter the username.`);
      }
    },
  };
}
