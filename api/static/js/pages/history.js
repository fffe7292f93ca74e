// Incident history: search by number, report, desa, category, status and WIB dates; paging.
import {api, categoryLabel, el, statusLabel, wib} from '../lib/api.js';
import {query, values, wibEndExclusive, wibStart} from '../lib/forms.js';

const form = document.getElementById('history-search');
const body = document.querySelector('#history tbody');
const older = document.getElementById('older');
const none = document.getElementById('none');
let params = {}, cursor = null;

function row(i) {
  const place = i.place && i.place.label;
  return el('tr', {'data-number': i.number},
    el('td', {}, el('a', {href: `/console/incidents/${encodeURIComponent(i.number)}`}, i.number)),
    el('td', {}, wib(i.created_at)), el('td', {}, categoryLabel(i.category)),
    el('td', {}, el('span', {class: `status s-${i.status}`}, statusLabel(i.status))),
    el('td', {}, String(i.priority)), el('td', {}, place || '—'), el('td', {}, i.summary || ''));
}

async function load(append) {
  const page = await api('GET', '/v1/operator/incidents?' + query({...params, order: 'newest',
    limit: 50, cursor: append ? cursor : null}));
  if (!append) body.replaceChildren();
  body.append(...page.incidents.map(row));
  cursor = page.next_cursor;
  older.hidden = cursor === null;
  none.hidden = body.children.length > 0;
}

form.addEventListener('submit', ev => {
  ev.preventDefault();
  const v = values(form);
  params = {q: v.q, category: v.category, status: v.status,
    since: v.since && wibStart(v.since), until: v.until && wibEndExclusive(v.until)};
  load(false);
});
older.addEventListener('click', () => load(true));
load(false);
