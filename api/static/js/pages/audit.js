// Audit log: events as sentences with names, filters, "older" paging down to the oldest event.
import {api, config, el, wib} from '../lib/api.js';
import {query, values, wibEndExclusive, wibStart} from '../lib/forms.js';

const form = document.getElementById('audit-filters');
const body = document.querySelector('#audit-log tbody');
const older = document.getElementById('older');
const end = document.getElementById('end');
let filters = {}, next = null;

function row(e) {
  const sentence = config.locale === 'en' ? e.description_en : e.description;
  return el('tr', {'data-id': e.id, 'data-action': e.action},
    el('td', {}, wib(e.at)), el('td', {}, e.actor_name), el('td', {class: 'desc'}, sentence),
    el('td', {}, el('code', {}, e.action)), el('td', {}, e.entity_name));
}

async function load(append) {
  const page = await api('GET', '/v1/operator/audit?' + query({...filters, limit: 50,
    before_id: append ? next : null}));
  if (!append) body.replaceChildren();
  body.append(...page.events.map(row));
  next = page.next_before_id;
  older.hidden = next === null;
  end.hidden = next !== null;
}

form.addEventListener('submit', ev => {
  ev.preventDefault();
  const v = values(form);
  filters = {actor: v.actor, action: v.action, entity_type: v.entity_type, entity_id: v.entity_id,
    since: v.since && wibStart(v.since), until: v.until && wibEndExclusive(v.until)};
  load(false);
});
older.addEventListener('click', () => load(true));
load(false);
