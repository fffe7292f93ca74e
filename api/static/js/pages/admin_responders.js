// Admin · crew: list (unit, phones signed in, duty), create on a unit, move, disable/enable.
import {api, el, t} from '../lib/api.js';
import {send, values} from '../lib/forms.js';

const body = document.querySelector('#responders tbody');
const form = document.getElementById('responder-form');
let units = [];

const unitOptions = current => units.filter(u => u.active || u.id === current)
  .map(u => el('option', {value: u.id, selected: u.id === current}, `${u.name} (${u.call_sign})`));

function row(r) {
  const unit = el('select', {name: 'unit_id', 'aria-label': r.username}, unitOptions(r.unit_id));
  return el('tr', {'data-user': r.id, 'data-username': r.username, class: r.active ? '' : 'disabled'},
    el('td', {}, r.username), el('td', {}, r.name),
    el('td', {}, unit, ' ', el('button', {type: 'button', class: 'move', onclick: async () => {
      await send('PATCH', `/v1/admin/responders/${r.id}`, {unit_id: parseInt(unit.value, 10)}); load();
    }}, t('move'))),
    el('td', {class: 'devices'}, String(r.devices_signed_in)),
    el('td', {}, r.on_duty ? t('on_duty') : t('off_duty')),
    el('td', {class: 'state'}, r.active ? t('active') : t('disabled')),
    el('td', {}, el('button', {type: 'button', class: r.active ? 'disable' : 'enable', onclick: async () => {
      await send('POST', `/v1/admin/users/${r.id}/${r.active ? 'disable' : 'enable'}`); load();
    }}, r.active ? t('disable') : t('enable'))));
}

async function load() {
  const data = await api('GET', '/v1/admin/responders');
  body.replaceChildren(...data.responders.map(row));
}

form.addEventListener('submit', async ev => {
  ev.preventDefault();
  const v = values(form);
  await send('POST', '/v1/admin/responders', {...v, unit_id: parseInt(v.unit_id, 10)});
  form.reset();
  load();
});

(async () => {
  units = (await api('GET', '/v1/admin/units')).units;
  form.elements.unit_id.replaceChildren(...unitOptions(null));
  load();
})();
