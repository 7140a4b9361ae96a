// Game: look up an account or a character (name or GUID); its sanctions and
// online state; ban, mute (duration, reason, IP), unban, unmute; warp, kick
// and kill an online character. Every result message is the API's.

import { game } from './api.js';
import { h, field, fill, runAction, statusLine, setStatus, panel, table, td, when, confirmAction, pageLink } from './ui.js';

function fact(term, ...value) {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

function sanction(kind, s) {
  if (!s) return h('span', { class: 'hint' }, `not ${kind === 'Ban' ? 'banned' : 'muted'}`);
  return h('span', {},
    h('span', { class: 'tag warn' }, kind === 'Ban' ? 'banned' : 'muted'),
    ` until ${when(s.End)} (since ${when(s.Start)}), by ${s.Moderator || '—'}`,
    s.Reason ? `, reason: ${s.Reason}` : '',
    s.Ip ? `, IP ${s.Ip}` : '');
}

export function create() {
  const el = h('section', { class: 'page', 'aria-labelledby': 'game-title' });
  const kindAccount = h('input', { type: 'radio', name: 'kind', value: 'user', id: 'game-kind-user', checked: true });
  const kindPlayer = h('input', { type: 'radio', name: 'kind', value: 'player', id: 'game-kind-player' });
  const lookup = field('Name or id', { name: 'lookup', required: true, autocomplete: 'off', hint: 'a name (2–20 letters or digits) or a GUID' });
  const find = h('button', { type: 'submit' }, 'Look up');
  const findStatus = statusLine();
  const findForm = h('form', { id: 'game-lookup', novalidate: true },
    h('fieldset', {}, h('legend', {}, 'Look up'),
      h('div', { class: 'field check' }, kindAccount, h('label', { for: 'game-kind-user' }, 'Account')),
      h('div', { class: 'field check' }, kindPlayer, h('label', { for: 'game-kind-player' }, 'Character'))),
    lookup.wrap, h('div', { class: 'buttons' }, find), findStatus);
  const view = h('div', { id: 'game-view' });
  let current = null; // {kind, key}
  let shownActions = null; // {key, panel, setOnline}

  async function load(kind, key) {
    current = { kind, key };
    const path = `/${kind === 'player' ? 'players' : 'users'}/${encodeURIComponent(key)}`;
    return runAction({ button: find, status: findStatus, form: findForm, working: 'Looking up…' }, async () => {
      const found = await game('GET', path);
      render(kind, found);
      return `${kind === 'player' ? 'Character' : 'Account'} ${found.Name} found.`;
    });
  }

  function render(kind, x) {
    const isPlayer = kind === 'player';
    const players = isPlayer ? [x] : (x.Players || []);
    const online = players.filter((p) => p.Online);
    const facts = h('dl', { class: 'facts', id: 'game-facts' },
      fact('Name', h('span', { id: 'game-name' }, x.Name)),
      fact('Id', h('span', { class: 'mono' }, x.Id)),
      isPlayer ? fact('Account', h('a', { href: pageLink('game', { kind: 'user', lookup: x.UserId }) }, x.UserId)) : null,
      isPlayer ? null : fact('Email', x.Email || '—'),
      isPlayer ? null : fact('Rights', (x.Rights || []).length ? x.Rights.map((r) => h('span', { class: 'tag' }, r)) : 'none'),
      isPlayer ? null : fact('Registered', when(x.RegistrationDate)),
      isPlayer ? null : fact('Last IP', x.LastIp || '—'),
      fact('Online', h('span', { id: 'game-online' }, online.length
        ? [h('span', { class: 'tag good' }, 'online'), isPlayer ? '' : ` as ${online.map((p) => p.Name).join(', ')}`]
        : 'offline')),
      isPlayer ? fact('Position', `map ${x.MapId} (${x.X}, ${x.Y})`) : null,
      fact('Ban', h('span', { id: 'game-ban' }, sanction('Ban', x.Ban))),
      fact('Mute', h('span', { id: 'game-mute' }, sanction('Mute', x.Mute))));
    const characters = isPlayer ? null : (players.length
      ? table('Characters', ['Name', 'Online', 'Map', 'Position'], players.map((p) => h('tr', {},
        td(h('a', { href: pageLink('game', { kind: 'player', lookup: p.Id }) }, p.Name)),
        td(p.Online ? 'online' : 'offline'),
        td(h('span', { class: 'mono' }, p.MapId)),
        td(`${p.X}, ${p.Y}`))))
      : h('p', { class: 'hint' }, 'No characters.'));
    // The actions' panel is kept while the same account or character is
    // shown, so what was typed in it survives the reload after an action.
    const key = `${kind}:${x.Id}`;
    if (!shownActions || shownActions.key !== key) shownActions = { key, ...actions(kind, x) };
    shownActions.setOnline(online.length > 0);
    fill(view,
      panel(isPlayer ? `Character ${x.Name}` : `Account ${x.Name}`, facts, characters),
      shownActions.panel);
  }

  function actions(kind, x) {
    const base = `/${kind === 'player' ? 'players' : 'users'}/${encodeURIComponent(x.Id)}/admin`;
    const who = x.Name;
    const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'game-action-status' });

    // The API's answer is shown once the view shows its effect (read again).
    const act = (button, form, action, body, working) => runAction({ button, status, form, working }, async () => {
      const answer = await game('POST', `${base}/${action}`, body);
      const message = answer && answer.Message ? answer.Message : 'Done.';
      try {
        render(current.kind, await game('GET', `/${current.kind === 'player' ? 'players' : 'users'}/${encodeURIComponent(current.key)}`));
      } catch (err) {
        return `${message} (not shown above: reading it again failed: ${err.message})`;
      }
      return message;
    });

    // sanctions
    const duration = field('Duration (days)', { name: 'duration', type: 'number', min: '1', max: '36500', value: '1' });
    const reason = field('Reason', { name: 'reason', maxlength: 1024, autocomplete: 'off' });
    const ip = field('Also ban or mute the IP address', { name: 'ip', type: 'checkbox', hint: 'the live connection\'s, else the account\'s last known' });
    const ban = h('button', { type: 'button', class: 'danger', id: 'game-ban-button' }, 'Ban');
    const mute = h('button', { type: 'button', class: 'danger', id: 'game-mute-button' }, 'Mute');
    const unban = h('button', { type: 'button', class: 'secondary', id: 'game-unban-button' }, 'Unban');
    const unmute = h('button', { type: 'button', class: 'secondary', id: 'game-unmute-button' }, 'Unmute');
    const sanctionForm = h('form', { id: 'game-sanctions', novalidate: true },
      h('div', { class: 'fields' }, duration.wrap, reason.wrap), ip.wrap,
      h('div', { class: 'buttons' }, ban, mute, unban, unmute));
    sanctionForm.addEventListener('submit', (event) => event.preventDefault());
    const sanctionBody = () => {
      const raw = duration.input.value.trim();
      const body = { duration: /^-?[0-9]+$/.test(raw) ? Number(raw) : raw, ip: ip.input.checked };
      if (reason.input.value) body.reason = reason.input.value;
      return body;
    };
    for (const [button, action, verb] of [[ban, 'ban', 'Ban'], [mute, 'mute', 'Mute']]) {
      button.addEventListener('click', async () => {
        const body = sanctionBody();
        const ok = await confirmAction(`${verb} ${who}?`,
          `${who} will be ${action === 'ban' ? 'banned (and disconnected if online)' : 'muted'} for ${body.duration} day(s)${body.ip ? ', with the IP address' : ''}${body.reason ? `, reason: ${body.reason}` : ''}.`,
          `${verb} ${who}`);
        if (!ok) { setStatus(status, 'busy', `Not ${action === 'ban' ? 'banned' : 'muted'}.`); return; }
        await act(button, sanctionForm, action, body, action === 'ban' ? 'Banning…' : 'Muting…');
      });
    }
    unban.addEventListener('click', () => act(unban, sanctionForm, 'unban', undefined, 'Unbanning…'));
    unmute.addEventListener('click', () => act(unmute, sanctionForm, 'unmute', undefined, 'Unmuting…'));

    // online only
    const mapid = field('Map id', { name: 'mapid', autocomplete: 'off', hint: 'a GUID; empty: the current map (location warp)' });
    const xField = field('X', { name: 'x', type: 'number', min: '0', max: '255', value: '0' });
    const yField = field('Y', { name: 'y', type: 'number', min: '0', max: '255', value: '0' });
    const warpto = h('button', { type: 'button', id: 'game-warpto-button' }, 'Warp to map');
    const warptoloc = h('button', { type: 'button', id: 'game-warptoloc-button' }, 'Warp to location');
    const kickReason = field('Kick reason', { name: 'reason', maxlength: 1024, autocomplete: 'off' });
    const kick = h('button', { type: 'button', class: 'danger', id: 'game-kick-button' }, 'Kick');
    const kill = h('button', { type: 'button', class: 'danger', id: 'game-kill-button' }, 'Kill');
    const onlineForm = h('form', { id: 'game-online-actions', novalidate: true },
      h('div', { class: 'fields' }, mapid.wrap, xField.wrap, yField.wrap),
      h('div', { class: 'buttons' }, warpto, warptoloc),
      kickReason.wrap, h('div', { class: 'buttons' }, kick, kill));
    onlineForm.addEventListener('submit', (event) => event.preventDefault());
    const int = (input) => (/^-?[0-9]+$/.test(input.value.trim()) ? Number(input.value.trim()) : input.value);
    warpto.addEventListener('click', () => act(warpto, onlineForm, 'warpto', { mapid: mapid.input.value }, 'Warping…'));
    warptoloc.addEventListener('click', () => act(warptoloc, onlineForm, 'warptoloc',
      { mapid: mapid.input.value, x: int(xField.input), y: int(yField.input) }, 'Warping…'));
    kick.addEventListener('click', async () => {
      const ok = await confirmAction(`Kick ${who}?`, `${who}'s online character is disconnected from the game${kickReason.input.value ? `, reason: ${kickReason.input.value}` : ''}.`, `Kick ${who}`);
      if (!ok) { setStatus(status, 'busy', 'Not kicked.'); return; }
      const body = kickReason.input.value ? { reason: kickReason.input.value } : undefined;
      await act(kick, onlineForm, 'kick', body, 'Kicking…');
    });
    kill.addEventListener('click', async () => {
      const ok = await confirmAction(`Kill ${who}?`, `${who}'s online character is killed in the game.`, `Kill ${who}`);
      if (!ok) { setStatus(status, 'busy', 'Not killed.'); return; }
      await act(kill, onlineForm, 'kill', undefined, 'Killing…');
    });
    const offlineNote = h('p', { class: 'hint' }, 'Offline: warp, kick and kill need an online character.');
    const setOnline = (isOnline) => {
      for (const b of [warpto, warptoloc, kick, kill]) b.disabled = !isOnline;
      offlineNote.hidden = isOnline;
    };

    return {
      setOnline,
      panel: panel('Actions', status,
        h('h3', {}, 'Sanctions'), sanctionForm,
        h('h3', {}, 'Online character'), offlineNote, onlineForm),
    };
  }

  findForm.addEventListener('submit', (event) => {
    event.preventDefault();
    load(kindPlayer.checked ? 'player' : 'user', lookup.input.value.trim());
  });

  fill(el,
    h('h1', { id: 'game-title', tabindex: '-1' }, 'Game'),
    panel('Account or character', findForm),
    view);

  return {
    el,
    show(params) {
      const key = params.get('lookup');
      const kind = params.get('kind') === 'player' ? 'player' : 'user';
      if (key && !(current && current.key === key && current.kind === kind)) {
        (kind === 'player' ? kindPlayer : kindAccount).checked = true;
        lookup.input.value = key;
        load(kind, key);
      }
    },
  };
}
