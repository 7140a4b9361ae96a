// Guilds: open one by id; its owner, region, availability and features (the
// five the API supports); mark it unavailable or available; delete it.

import { chat } from './api.js';
import { h, field, fill, runAction, statusLine, setStatus, panel, confirmAction, pageLink } from './ui.js';

export const FEATURES = ['INVITE_SPLASH', 'VIP_REGIONS', 'VANITY_URL', 'MORE_EMOJI', 'VERIFIED'];

function fact(term, ...value) {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

export function create() {
  const el = h('section', { class: 'page', 'aria-labelledby': 'guilds-title' });
  const gid = field('Guild id', { name: 'guild_id', required: true, inputmode: 'numeric', autocomplete: 'off' });
  const open = h('button', { type: 'submit' }, 'Open');
  const openStatus = statusLine();
  const openForm = h('form', { id: 'guilds-open', novalidate: true },
    gid.wrap, h('div', { class: 'buttons' }, open), openStatus);
  const view = h('div', { id: 'guild-view' });
  let current = null;

  async function load(id) {
    current = id;
    await runAction({ button: open, status: openStatus, form: openForm, working: 'Opening…' }, async () => {
      const g = await chat('GET', `/admin/guilds/${encodeURIComponent(id)}`);
      render(g);
      return `Guild ${g.id} opened.`;
    });
  }

  function render(g) {
    const facts = h('dl', { class: 'facts', id: 'guild-facts' },
      fact('Id', h('span', { class: 'mono' }, g.id)),
      fact('Name', g.name ?? '—'),
      fact('Owner', g.owner_id ? h('span', { class: 'mono' }, g.owner_id) : '—'),
      fact('Region', g.region ?? (g.unavailable ? '—' : 'none'),
        g.region ? [' ', h('a', { href: pageLink('voice', { region: g.region }) }, 'servers')] : null),
      fact('Unavailable', g.unavailable ? h('span', { class: 'tag warn' }, 'yes') : 'no'),
      'member_count' in g ? fact('Members', String(g.member_count)) : null);

    // availability
    const toggle = h('button', { type: 'button', class: g.unavailable ? '' : 'danger', id: 'guild-availability' },
      g.unavailable ? 'Mark available' : 'Mark unavailable');
    const toggleStatus = statusLine();
    toggle.addEventListener('click', async () => {
      const target = !g.unavailable;
      if (target) {
        const ok = await confirmAction(`Mark guild ${g.id} unavailable?`,
          `Members see ${g.name ? `"${g.name}"` : 'the guild'} as unavailable until it is marked available again.`,
          'Mark unavailable');
        if (!ok) { setStatus(toggleStatus, 'busy', 'Unchanged.'); return; }
      }
      const updated = await runAction({ button: toggle, status: toggleStatus, working: 'Saving…' }, async () => {
        const answer = await chat('PATCH', `/admin/guilds/${encodeURIComponent(g.id)}`, { unavailable: target });
        return { message: target ? 'Marked unavailable.' : 'Marked available.', answer };
      });
      if (updated) {
        const message = toggleStatus.textContent;
        render(updated.answer);
        setStatus(document.getElementById('guild-availability-status'), 'ok', message);
      }
    });
    toggleStatus.id = 'guild-availability-status';

    // features
    const have = new Set(g.features || []);
    const boxes = FEATURES.map((name) => {
      const f = field(name, { type: 'checkbox', name: `feature-${name}`, value: name });
      f.input.checked = have.has(name);
      return f;
    });
    const save = h('button', { type: 'submit' }, 'Save features');
    const featuresStatus = statusLine();
    const featuresError = h('span', { class: 'field-error' });
    const featuresForm = h('form', { id: 'guild-features' },
      h('fieldset', {}, h('legend', {}, 'Features'), h('div', { class: 'flag-grid' }, boxes.map((b) => b.wrap))),
      h('input', { type: 'hidden', name: 'features', props: { fieldError: featuresError } }), featuresError,
      h('p', { class: 'hint' }, 'Removing VANITY_URL also clears the vanity code.'),
      h('div', { class: 'buttons' }, save), featuresStatus);
    featuresForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const features = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
      await runAction({ button: save, status: featuresStatus, form: featuresForm, working: 'Saving…' }, async () => {
        const answer = await chat('PATCH', `/admin/guilds/${encodeURIComponent(g.id)}/features`, { features });
        g.features = answer.features;
        return `Features: ${answer.features.length ? answer.features.join(', ') : 'none'}.`;
      });
    });
    if (g.unavailable) {
      for (const b of boxes) b.input.disabled = true;
      save.disabled = true;
    }

    // delete
    const del = h('button', { type: 'button', class: 'danger', id: 'guild-delete' }, 'Delete guild');
    const delStatus = statusLine();
    delStatus.id = 'guild-delete-status';
    del.addEventListener('click', async () => {
      const ok = await confirmAction(`Delete guild ${g.id}?`,
        `${g.name ? `"${g.name}" (${g.id})` : g.id} is deleted with its channels, roles and members; its members are told it is gone. This cannot be undone.`,
        'Delete guild');
      if (!ok) { setStatus(delStatus, 'busy', 'Not deleted.'); return; }
      const done = await runAction({ button: del, status: delStatus, working: 'Deleting…' }, async () => {
        await chat('DELETE', `/admin/guilds/${encodeURIComponent(g.id)}`);
        return `Guild ${g.id} deleted.`;
      });
      if (done) { del.disabled = true; toggle.disabled = true; save.disabled = true; }
    });

    fill(view,
      panel(g.name ? `Guild ${g.name}` : `Guild ${g.id}`, facts,
        h('div', { class: 'buttons' }, toggle), toggleStatus),
      panel('Features', g.unavailable ? h('p', { class: 'hint' }, 'The API shows no features of an unavailable guild: mark it available first.') : null, featuresForm),
      panel('Delete', h('div', { class: 'buttons' }, del), delStatus));
  }

  openForm.addEventListener('submit', (event) => {
    event.preventDefault();
    load(gid.input.value.trim());
  });

  fill(el,
    h('h1', { id: 'guilds-title', tabindex: '-1' }, 'Guilds'),
    panel('Open a guild', openForm),
    view);

  return {
    el,
    show(params) {
      const id = params.get('id');
      if (id && id !== current) {
        gid.input.value = id;
        load(id);
      }
    },
  };
}
