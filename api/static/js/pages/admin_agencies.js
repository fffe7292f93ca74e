// Admin · agencies: list, add, edit name and phone in place.
import {api, el, t} from '../lib/api.js';
import {send, values} from '../lib/forms.js';

const body = document.querySelector('#agencies tbody');
const types = JSON.parse(document.getElementById('agency-types').textContent);

function row(a) {
  const tr = el('tr', {'data-agency': a.id},
    el('td', {}, types[a.type] || a.type), el('td', {class: 'name'}, a.name),
    el('td', {class: 'phone'}, a.phone || '—'),
    el('td', {}, el('button', {type: 'button', class: 'edit', onclick: () => edit(tr, a)}, t('edit'))));
  return tr;
}

function edit(tr, a) {
  const name = el('input', {name: 'name', value: a.name, required: true, minlength: 2, maxlength: 120});
  const phone = el('input', {name: 'phone', value: a.phone || '', maxlength: 20});
  const save = async () => {
    const changed = await send('PATCH', `/v1/admin/agencies/${a.id}`,
      {name: name.value.trim(), phone: phone.value.trim() || null});
    tr.replaceWith(row(changed));
  };
  tr.replaceChildren(el('td', {}, types[a.type] || a.type), el('td', {}, name), el('td', {}, phone),
    el('td', {}, el('button', {type: 'button', class: 'save', onclick: save}, t('save')), ' ',
      el('button', {type: 'button', onclick: () => tr.replaceWith(row(a))}, t('cancel'))));
  name.focus();
}

async function load() {
  const data = await api('GET', '/v1/admin/agencies');
  body.replaceChildren(...data.agencies.map(row));
}

document.getElementById('agency-form').addEventListener('submit', async ev => {
  ev.preventDefault();
  const v = values(ev.target);
  await send('POST', '/v1/admin/agencies', {type: v.type, name: v.name, phone: v.phone || null});
  ev.target.reset();
  load();
});
load();
