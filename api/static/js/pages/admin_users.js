// Admin · console users: create, edit name/role/language, disable/enable, reset password.
import {api, el, t, wib} from '../lib/api.js';
import {send, values} from '../lib/forms.js';

const body = document.querySelector('#users tbody');
const ROLES = ['operator', 'supervisor', 'admin'];
const LANGS = ['id', 'en'];

const select = (name, options, current, label) => el('select', {name},
  options.map(o => el('option', {value: o, selected: o === current}, label(o))));

function row(u) {
  const tr = el('tr', {'data-user': u.id, 'data-username': u.username, class: u.active ? '' : 'disabled'},
    el('td', {}, u.username), el('td', {class: 'name'}, u.name),
    el('td', {class: 'role'}, t('role_' + u.role)), el('td', {}, t('lang_' + u.locale)),
    el('td', {class: 'state'}, u.active ? t('active') : t('disabled')),
    el('td', {}, u.last_login_at ? wib(u.last_login_at) : t('never')),
    el('td', {class: 'row-actions'},
      el('button', {type: 'button', class: 'edit', onclick: () => edit(tr, u)}, t('edit')),
      el('button', {type: 'button', class: u.active ? 'disable' : 'enable', onclick: async () => {
        await send('POST', `/v1/admin/users/${u.id}/${u.active ? 'disable' : 'enable'}`); load();
      }}, u.active ? t('disable') : t('enable')),
      el('button', {type: 'button', class: 'reset', onclick: () => reset(tr, u)}, t('reset_password'))));
  return tr;
}

function edit(tr, u) {
  const name = el('input', {name: 'name', value: u.name, required: true, maxlength: 120});
  const role = select('role', ROLES, u.role, r => t('role_' + r));
  const locale = select('locale', LANGS, u.locale, l => t('lang_' + l));
  const save = async () => {
    const body = {name: name.value.trim()};
    if (role.value !== u.role) body.role = role.value;
    if (locale.value !== u.locale) body.locale = locale.value;
    await send('PATCH', `/v1/admin/users/${u.id}`, body);
    load();
  };
  tr.replaceChildren(el('td', {}, u.username), el('td', {}, name), el('td', {}, role),
    el('td', {}, locale), el('td', {}), el('td', {}),
    el('td', {}, el('button', {type: 'button', class: 'save', onclick: save}, t('save')), ' ',
      el('button', {type: 'button', onclick: () => tr.replaceWith(row(u))}, t('cancel'))));
}

function reset(tr, u) {
  const password = el('input', {type: 'password', name: 'password', minlength: 10,
    autocomplete: 'new-password', placeholder: t('new_password'), 'aria-label': t('new_password')});
  const cell = tr.querySelector('.row-actions');
  cell.replaceChildren(password, ' ',
    el('button', {type: 'button', class: 'save', onclick: async () => {
      await send('POST', `/v1/admin/users/${u.id}/password`, {password: password.value});
      load();
      document.getElementById('flash').textContent = t('password_reset_done');
    }}, t('save')), ' ',
    el('button', {type: 'button', onclick: () => tr.replaceWith(row(u))}, t('cancel')));
  password.focus();
}

async function load() {
  const data = await api('GET', '/v1/admin/users');
  body.replaceChildren(...data.users.map(row));
}

document.getElementById('user-form').addEventListener('submit', async ev => {
  ev.preventDefault();
  await send('POST', '/v1/admin/users', values(ev.target));
  ev.target.reset();
  load();
});
load();
