// Voice: regions (the first one ever created, which new guilds get, and the
// deprecated ones marked), create a region, a region's servers, add a
// server, deprecate a region.

import { chat, ApiError } from './api.js';
import { h, field, fill, runAction, statusLine, setStatus, panel, table, td, confirmAction } from './ui.js';

// The first region is in the audit log only (voice_region.create with
// after.first): read it there when the audit route answers, else unmarked.
async function firstRegion() {
  let before = '';
  for (let pages = 0; pages < 20; pages++) {
    let answer;
    try {
      answer = await chat('GET', `/admin/audit-log?action=voice_region.create&limit=100${before ? `&before=${before}` : ''}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      return null;
    }
    const entry = (answer.entries || []).find((e) => e.after && e.after.first === true);
    if (entry) return entry.target.id;
    if (!answer.next_before) return null;
    before = answer.next_before;
  }
  return null;
}

export function create() {
  const el = h('section', { class: 'page', 'aria-labelledby': 'voice-title' });
  const list = h('div', { id: 'voice-regions' });
  const listStatus = statusLine();
  listStatus.id = 'voice-status';
  const refresh = h('button', { type: 'button', class: 'secondary', id: 'voice-refresh' }, 'Reload');
  const serversSlot = h('div', { id: 'voice-servers' });
  let first = null;
  let openRegion = null;

  async function load() {
    await runAction({ button: refresh, status: listStatus, working: 'Loading regions…' }, async () => {
      const [regions, firstId] = await Promise.all([chat('GET', '/admin/voice/regions'), firstRegion()]);
      first = firstId;
      render(regions);
      return `${regions.length} region${regions.length === 1 ? '' : 's'}.`;
    });
  }

  function render(regions) {
    const rows = regions.map((r) => {
      const status = statusLine();
      const servers = h('button', { type: 'button', class: 'secondary', 'aria-label': `Servers of ${r.id}` }, 'Servers');
      const deprecate = h('button', { type: 'button', class: 'danger', 'aria-label': `Deprecate ${r.id}`, disabled: r.deprecated }, 'Deprecate');
      servers.addEventListener('click', () => openServers(r.id));
      deprecate.addEventListener('click', async () => {
        const ok = await confirmAction(`Deprecate region ${r.id}?`,
          `Every guild in ${r.id} loses its region (it is left with none and its members are told of the change), and ${r.id} can no longer be chosen for a new guild. The region and its servers stay listed, marked deprecated. This cannot be undone from the console.`,
          `Deprecate ${r.id}`);
        if (!ok) { setStatus(status, 'busy', 'Not deprecated.'); return; }
        const done = await runAction({ button: deprecate, status, working: 'Deprecating…' }, async () => {
          await chat('PUT', `/admin/voice/regions/${encodeURIComponent(r.id)}/deprecate`);
          return `${r.id} deprecated.`;
        });
        if (done) {
          deprecate.disabled = true;
          row.querySelector('.marks').append(h('span', { class: 'tag warn' }, 'deprecated'));
        }
      });
      const row = h('tr', { 'data-region': r.id },
        td(h('span', { class: 'mono' }, r.id)),
        td(r.name),
        td(h('span', { class: 'marks' },
          r.id === first ? h('span', { class: 'tag good', title: 'the first region: new guilds get it' }, 'first') : null,
          r.deprecated ? h('span', { class: 'tag warn' }, 'deprecated') : null,
          r.vip ? h('span', { class: 'tag' }, 'vip') : null,
          r.custom ? h('span', { class: 'tag' }, 'custom') : null)),
        td(h('div', { class: 'buttons' }, servers, deprecate), status));
      return row;
    });
    fill(list, regions.length
      ? table('Voice regions', ['Id', 'Name', 'Marks', 'Actions'], rows)
      : h('p', {}, 'No voice regions yet: the first one created becomes every guild\'s region.'));
  }

  async function openServers(region) {
    openRegion = region;
    const listEl = h('div');
    const status = statusLine();
    const hostname = field('Hostname', { name: 'hostname', required: true, maxlength: 255, autocomplete: 'off' });
    const add = h('button', { type: 'submit' }, 'Add server');
    const addStatus = statusLine();
    const form = h('form', { id: 'voice-server-add', novalidate: true },
      hostname.wrap, h('div', { class: 'buttons' }, add), addStatus);
    const reload = async () => {
      await runAction({ status, working: 'Loading servers…' }, async () => {
        const servers = await chat('GET', `/admin/voice/regions/${encodeURIComponent(region)}`);
        fill(listEl, servers.length
          ? table(`Servers of ${region}`, ['Hostname', 'Last health'],
            servers.map((s) => h('tr', {}, td(h('span', { class: 'mono' }, s.hostname)), td(String(s.last_health)))))
          : h('p', {}, `No servers in ${region}.`));
        return `${servers.length} server${servers.length === 1 ? '' : 's'} in ${region}.`;
      });
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const done = await runAction({ button: add, status: addStatus, form, working: 'Adding…' }, async () => {
        await chat('PUT', `/admin/voice/regions/${encodeURIComponent(region)}/server`, { hostname: hostname.input.value });
        return `${hostname.input.value} added to ${region}.`;
      });
      if (done) { hostname.input.value = ''; reload(); }
    });
    fill(serversSlot, panel(`Region ${region}: its servers`, status, listEl, form));
    await reload();
    hostname.input.focus();
  }

  const id = field('Id', { name: 'id', required: true, maxlength: 255, autocomplete: 'off', hint: 'stored in lower case' });
  const name = field('Name', { name: 'name', required: true, maxlength: 255, autocomplete: 'off' });
  const vip = field('VIP', { name: 'vip', type: 'checkbox' });
  const custom = field('Custom', { name: 'custom', type: 'checkbox' });
  const deprecated = field('Deprecated', { name: 'deprecated', type: 'checkbox' });
  const createButton = h('button', { type: 'submit' }, 'Create region');
  const createStatus = statusLine();
  const createForm = h('form', { id: 'voice-create', novalidate: true },
    h('div', { class: 'fields' }, id.wrap, name.wrap),
    h('div', { class: 'fields' }, vip.wrap, custom.wrap, deprecated.wrap),
    h('div', { class: 'buttons' }, createButton), createStatus);
  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const done = await runAction({ button: createButton, status: createStatus, form: createForm, working: 'Creating…' }, async () => {
      const regions = await chat('PUT', '/admin/voice/regions', {
        id: id.input.value, name: name.input.value,
        vip: vip.input.checked, custom: custom.input.checked, deprecated: deprecated.input.checked,
      });
      render(regions);
      return `Region ${id.input.value.toLowerCase()} created.`;
    });
    if (done) load();
  });
  refresh.addEventListener('click', load);

  fill(el,
    h('h1', { id: 'voice-title', tabindex: '-1' }, 'Voice'),
    h('div', { class: 'columns' },
      panel('Regions', h('div', { class: 'buttons' }, refresh), listStatus, list),
      panel('Create a region', createForm)),
    serversSlot);

  return {
    el,
    show(params) {
      load();
      const region = params.get('region');
      if (region && region !== openRegion) openServers(region);
    },
  };
}
