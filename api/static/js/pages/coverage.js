// Perencanaan Pos: desa coloured by the ESTIMATED minutes from the nearest post, the posts,
// and the optimal sites for 1..k new posts (pick a plan; its sites are highlighted).
import {api, config, el, t} from '../lib/api.js';
import {makeMap, textNode} from '../lib/map.js';
import {defaultPeriod, fill, periodQuery} from '../lib/period.js';

const L = window.L;
const form = document.getElementById('coverage-filters');
const summary = document.getElementById('coverage-summary');
const planButtons = document.getElementById('coverage-plans');
const map = makeMap('map', {units: false});
const BINS = [[15, '#1a9850'], [30, '#a6d96a'], [45, '#fee08b'], [60, '#fc8d59'],
  [Infinity, '#d73027']];
const colour = m => m === null ? '#bbb' : BINS.find(([upper]) => m < upper)[1];
const minutes = m => m === null ? '—' : Math.round(m).toString();
let desaPolygons = null, base = null, sites = null, data = null;

form.elements.target_minutes.value = String(config.targetMinutes);
form.elements.road_factor.value = String(config.roadFactor);
defaultPeriod(form);

function legend() {
  let lower = 0;
  const items = BINS.map(([upper, c]) => {
    const text = upper === Infinity ? `≥ ${lower}` : `${lower} – ${upper}`;
    lower = upper;
    return el('span', {}, el('span', {class: 'swatch', style: `background:${c}`}),
      `${text} ${t('minutes')}`);
  });
  items.push(el('span', {}, el('span', {class: 'swatch', style: 'background:#bbb'}), t('no_post')));
  items.push(el('span', {}, el('span', {class: 'swatch', style: 'background:#246;border-radius:50%'}),
    t('post')));
  items.push(el('span', {}, el('span', {class: 'swatch', style: 'background:#c00;border-radius:50%'}),
    t('proposed_site')));
  document.getElementById('coverage-legend').replaceChildren(...items);
}

function drawBase() {
  const byCode = Object.fromEntries(data.desa.map(d => [d.code, d]));
  const group = L.layerGroup();
  L.geoJSON(desaPolygons, {
    style: f => {
      const d = byCode[f.properties.code];
      return {color: '#555', weight: 0.5, fillColor: colour(d ? d.minutes : null),
        fillOpacity: 0.65};
    },
    onEachFeature: (f, layer) => {
      const d = byCode[f.properties.code];
      if (!d) return;
      const where = d.minutes === null ? t('no_post') :
        fill(t('est_minutes'), {minutes: minutes(d.minutes), post: d.nearest_post});
      layer.bindTooltip(textNode(`${d.label} · ${where} · ${d.demand} ${t('demand')} · ` +
        (d.within_target ? t('within_target') : t('outside_target'))), {sticky: true});
    }}).addTo(group);
  for (const p of data.posts) {
    L.circleMarker([p.lat, p.lon], {radius: 7, color: '#fff', weight: 2, fillColor: '#246',
      fillOpacity: 1, className: 'post-marker'})
      .bindTooltip(textNode(`${p.name} · ${p.units.join(', ')}`)).addTo(group);
  }
  return group;
}

function choose(k) {
  for (const b of planButtons.querySelectorAll('button'))
    b.setAttribute('aria-pressed', String(b.dataset.k === String(k)));
  if (sites) sites.remove();
  sites = L.layerGroup().addTo(map);
  const plan = data.plans.find(p => p.k === k);
  if (!plan) return;
  plan.sites.forEach((s, i) => {
    L.circleMarker([s.lat, s.lon], {radius: 10, color: '#fff', weight: 3, fillColor: '#c00',
      fillOpacity: 1, className: 'site-marker'})
      .bindTooltip(textNode(`${t('proposed_site')} ${i + 1}: ${s.label}` +
        (s.minutes_saved === null ? '' : ` · ${Math.round(s.minutes_saved)} ${t('minutes_saved')}`)),
      {permanent: true, direction: 'right'}).addTo(sites);
  });
}

function tables() {
  const rows = data.plans.map(p => el('tr', {'data-k': p.k},
    el('td', {}, p.k),
    el('td', {class: 'sites'}, p.sites.length ? p.sites.map(s => s.label).join('; ') : t('none_needed')),
    el('td', {class: 'saved'}, p.minutes_saved === null ? '—' : Math.round(p.minutes_saved)),
    el('td', {}, minutes(p.mean_minutes_after)),
    el('td', {}, `${p.desa_brought_within_target.length} (${p.demand_brought_within_target} ${t('demand')})`),
    el('td', {}, p.greedy_minutes_saved === null ? '—' : Math.round(p.greedy_minutes_saved))));
  document.querySelector('#coverage-table tbody').replaceChildren(...rows);
  const outside = data.desa.filter(d => !d.within_target)
    .sort((a, b) => b.demand - a.demand || (b.minutes ?? 1e9) - (a.minutes ?? 1e9)).slice(0, 40)
    .map(d => el('tr', {'data-code': d.code}, el('td', {}, d.label), el('td', {}, d.demand),
      el('td', {}, minutes(d.minutes)), el('td', {}, d.nearest_post ?? t('no_post'))));
  document.querySelector('#coverage-outside tbody').replaceChildren(...outside);
}

async function load() {
  summary.textContent = t('loading');
  const q = periodQuery(form);
  for (const name of ['k', 'target_minutes', 'road_factor', 'speed_kmh'])
    if (form.elements[name].value) q.set(name, form.elements[name].value);
  const [answer, polygons] = await Promise.all([
    api('GET', '/v1/operator/coverage?' + q),
    desaPolygons ? desaPolygons : api('GET', '/v1/operator/places/areas.geojson?level=desa')]);
  data = answer;
  desaPolygons = polygons;
  if (base) base.remove();
  base = drawBase().addTo(map);
  const s = data.summary;
  summary.textContent = `${s.demand} ${t('demand')} · ` +
    `${minutes(s.mean_minutes)} ${t('minutes')} · ${s.desa_outside_target} desa ` +
    `${t('outside_target')} (${data.assumptions.target_minutes} ${t('minutes')}) · ` +
    `CBC ${data.solver.seconds.toFixed(2)} s`;
  planButtons.replaceChildren(...data.plans.map(p => el('button', {type: 'button',
    'data-k': p.k, onclick: () => choose(p.k)}, `k = ${p.k}`)));
  tables();
  choose(data.plans.length ? data.plans[data.plans.length - 1].k : 0);
}

form.addEventListener('submit', e => { e.preventDefault(); load(); });
legend();
map.ready.then(load);
