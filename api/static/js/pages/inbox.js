// Inbox page: incoming reports live, triage (confirm / reject / merge), voice-call reports,
// active incidents.
import {api, categoryLabel, config, el, statusLabel, t, waited, wib} from '../lib/api.js';
import {follow} from '../lib/live.js';
import {makeMap, textNode} from '../lib/map.js';

const L = window.L;
const ACTIVE = ['open', 'dispatched', 'acknowledged', 'en_route', 'on_scene'];

const map = makeMap('map'), markers = L.layerGroup().addTo(map);
const list = document.getElementById('reports'), detail = document.getElementById('detail');
let selected = null;

function reportLine(r) {
  return [el('strong', {}, categoryLabel(r.category)),
    r.silent ? el('span', {class: 'badge silent'}, t('silent')) : null,
    el('span', {class: 'muted'}, ` ${r.ref} · ${wib(r.captured_at)} · ${t('waited')} ${waited(r.waited_s)}`),
    r.clock_skew_flagged ? el('span', {class: 'badge'}, t('clock_flag')) : null,
    r.lat === null ? el('span', {class: 'badge'}, t('no_location'))
      : el('span', {class: 'muted'}, ` · ${t('accuracy')} ${r.accuracy_m === null ? '?' : Math.round(r.accuracy_m) + ' m'}`),
    r.source === 'call' ? el('span', {class: 'badge'}, '☎ ' + (r.caller_phone || '')) : null,
    r.note ? el('div', {class: 'note'}, r.note) : null];
}

async function refresh() {
  const data = await api('GET', '/v1/operator/inbox');
  list.replaceChildren(...data.reports.map(r => el('li',
    {class: 'report' + (r.silent ? ' silent' : '') + (r.ref === selected ? ' selected' : ''),
     'data-ref': r.ref, tabindex: 0, onclick: () => select(r.ref)}, reportLine(r))));
  document.getElementById('empty').hidden = data.reports.length > 0;
  markers.clearLayers();
  data.reports.filter(r => r.lat !== null).forEach(r =>
    L.circleMarker([r.lat, r.lon], {radius: 8, color: r.silent ? '#b00' : '#d60'})
      .bindTooltip(textNode(`${r.ref} ${categoryLabel(r.category)}`))
      .on('click', () => select(r.ref)).addTo(markers));
  return data.cursor;
}

async function incidents() {
  const q = ACTIVE.map(s => 'status=' + s).join('&');
  const data = await api('GET', '/v1/operator/incidents?' + q);
  document.getElementById('incidents').replaceChildren(...data.incidents.map(i => el('li',
    {class: i.needs_attention ? 'attention' : null},
    i.needs_attention ? el('span', {class: 'badge silent', title: t('needs_attention')}, '⚠') : null,
    el('a', {href: '/console/incidents/' + i.number}, i.number), ' ',
    categoryLabel(i.category), ' · P', i.priority, ' · ', statusLabel(i.status))));
}

async function select(ref) {
  selected = ref;
  const d = await api('GET', '/v1/operator/reports/' + ref), r = d.report;
  if (r.lat !== null) map.setView([r.lat, r.lon], 13);
  const actions = [];
  if (config.canTriage && r.status === 'received') {
    actions.push(el('button', {id: 'confirm', onclick: async () => {
      const inc = await api('POST', `/v1/operator/reports/${ref}/confirm`, {});
      location.href = '/console/incidents/' + inc.number;
    }}, t('confirm')));
    const reason = el('select', {id: 'reason'}, ['prank', 'test', 'invalid'].map(
      x => el('option', {value: x}, t('reason_' + x))));
    actions.push(reason, el('button', {id: 'reject', onclick: async () => {
      await api('POST', `/v1/operator/reports/${ref}/reject`, {reason: reason.value});
      detail.replaceChildren(); refresh();
    }}, t('reject')));
  }
  const dupes = d.duplicates.map(s => el('li', {}, reportLine(s.report),
    el('span', {class: 'muted'}, ` · ${t('distance')} ${Math.round(s.distance_m)} m`),
    config.canTriage && s.report.incident && r.status !== 'merged' ? el('button', {class: 'merge',
      onclick: async () => {
        const inc = await api('POST', `/v1/operator/reports/${ref}/merge`,
          {incident: s.report.incident});
        location.href = '/console/incidents/' + inc.number;
      }}, `${t('merge')} → ${s.report.incident}`) : null));
  detail.replaceChildren(el('h3', {}, r.ref, ' · ', statusLabel(r.status)),
    el('div', {}, reportLine(r)), el('div', {class: 'actions'}, actions),
    el('h4', {}, t('likely_duplicates')), el('ul', {}, dupes),
    el('h4', {}, t('reporter_history')),
    el('ul', {}, d.reporter_history.map(h => el('li', {}, reportLine(h)))));
  refresh();
}

const form = document.getElementById('call-form');
if (form) form.addEventListener('submit', async ev => {
  ev.preventDefault();
  const f = new FormData(form), num = v => v === '' ? null : Number(v);
  await api('POST', '/v1/operator/reports', {category: f.get('category'),
    note: f.get('note'), caller_phone: f.get('caller_phone') || null,
    lat: num(f.get('lat')), lon: num(f.get('lon'))});
  form.reset();
  refresh();
});

const cursor = await refresh();
incidents();
follow({cursor, indicator: document.getElementById('live'),
  onChange: () => { refresh(); incidents(); }});
