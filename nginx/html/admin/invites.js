// Invites: the instance's invites (oldest first, as the API lists them),
// create with max_uses, copy the registration link, delete.

import { chat } from './api.js';
import { h, field, fill, runAction, statusLine, setStatus, panel, table, td, when, confirmAction } from './ui.js';

export function registrationLink(code) {
  return `${location.origin}/invite_register.html?invite=${encodeURIComponent(code)}`;
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return true;
  }
  return false;
}

export function create() {
  const el = h('section', { class: 'page', 'aria-labelledby': 'invites-title' });
  const list = h('div', { id: 'invites-list' });
  const refresh = h('button', { type: 'button', class: 'secondary', id: 'invites-refresh' }, 'Reload');
  const listStatus = statusLine();
  listStatus.id = 'invites-status';
  let highlight = null;

  async function load() {
    await runAction({ button: refresh, status: listStatus, working: 'Loading invites…' }, async () => {
      const invites = await chat('GET', '/admin/instance/invites');
      render(invites);
      return `${invites.length} invite${invites.length === 1 ? '' : 's'}.`;
    });
  }

  function render(invites) {
    const rows = invites.map((inv) => {
      const status = statusLine();
      const link = registrationLink(inv.code);
      const copy = h('button', { type: 'button', class: 'secondary', 'aria-label': `Copy link of invite ${inv.code}` }, 'Copy link');
      const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete invite ${inv.code}` }, 'Delete');
      const linkBox = h('input', { type: 'text', readonly: true, class: 'mono', value: link, 'aria-label': `Registration link of ${inv.code}`, hidden: true });
      copy.addEventListener('click', async () => {
        await runAction({ button: copy, status, working: 'Copying…' }, async () => {
          if (await copyText(link)) return 'Link copied.';
          linkBox.hidden = false;
          linkBox.select();
          return 'Copy the selected link (the browser allows no clipboard here).';
        });
      });
      del.addEventListener('click', async () => {
        const ok = await confirmAction(`Delete invite ${inv.code}?`,
          `Nobody will be able to register with ${inv.code} any more (used ${inv.uses} time(s)). Accounts made with it stay.`,
          `Delete ${inv.code}`);
        if (!ok) { setStatus(status, 'busy', 'Not deleted.'); return; }
        const done = await runAction({ button: del, status, working: 'Deleting…' }, async () => {
          await chat('DELETE', `/admin/instance/invites/${encodeURIComponent(inv.code)}`);
          return `Invite ${inv.code} deleted.`;
        });
        if (done) { del.disabled = true; copy.disabled = true; row.classList.add('gone'); }
      });
      const row = h('tr', { 'data-code': inv.code, class: inv.code === highlight ? 'highlight' : false },
        td(h('span', { class: 'mono' }, inv.code)),
        td(String(inv.uses)),
        td(inv.max_uses === -1 ? 'unlimited' : String(inv.max_uses)),
        td(when(inv.created_at)),
        td(h('div', { class: 'buttons' }, copy, del), linkBox, status));
      return row;
    });
    fill(list, invites.length
      ? table('Instance invites', ['Code', 'Uses', 'Max uses', 'Created', 'Actions'], rows)
      : h('p', {}, 'No invites.'));
  }

  const maxUses = field('Max uses', { name: 'max_uses', type: 'number', value: '1', required: true, hint: '-1 for unlimited, else 1–1000000' });
  const createButton = h('button', { type: 'submit' }, 'Create invite');
  const createStatus = statusLine();
  const createForm = h('form', { id: 'invites-create', novalidate: true },
    maxUses.wrap, h('div', { class: 'buttons' }, createButton), createStatus);
  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const raw = maxUses.input.value.trim();
    const value = /^-?[0-9]+$/.test(raw) ? Number(raw) : raw;
    const inv = await runAction({ button: createButton, status: createStatus, form: createForm, working: 'Creating…' }, async () => {
      const made = await chat('PUT', '/admin/instance/invites', { max_uses: value });
      return { message: `Invite ${made.code} created.`, made };
    });
    if (inv) { highlight = inv.made.code; load(); }
  });
  refresh.addEventListener('click', load);

  fill(el,
    h('h1', { id: 'invites-title', tabindex: '-1' }, 'Invites'),
    panel('Create an invite', createForm),
    panel('All invites', h('div', { class: 'buttons' }, refresh), listStatus, list));

  return {
    el,
    show(params) {
      highlight = params.get('code') || highlight;
      load();
    },
  };
}
