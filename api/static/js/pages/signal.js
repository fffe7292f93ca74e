// Peta Sinyal: offline delay (captured on the phone → received) per desa polygon and per H3
// hexagon, coloured by p90, counts in every tooltip; the ranked villages below.
import {api, config, el, t, waited} from '../lib/api.js';
import {makeMap, textNode} from '../lib/map.js';
import {defaultPeriod, fill, periodQuery} from '../lib/period.js';

const L = window.L;
const form = document.getElementById('signal-filters');
const summary = document.getElementById('signal-summary');
const map = makeMap('map', {units: false});
// p90 bins, seconds: the colour says how long the slow tenth waited.
const BINS = [[60, '#1a9850'], [300, '#91cf60'], [600, '#fee08b'], [1800, '#fc8d59'],
  [Infinity, '#d73027']];
const colour = s => BINS.find(([upper]) => s < upper)[1];
let desaPolygons = null, layers = {desa: null, cells: null};

form.elements.resolution.value = String(config.resolution);
form.elements.min_count.value = String(config.minCount);
defaultPeriod(form);

function legend() {
  let lower = 0;
  const items = BINS.map(([upper, c]) => {
    const text = upper === Infinity ? `≥ ${waited(lower)}` : `${waited(lower)} – ${waited(upper)}`;
    lower = upper;
    return el('span', {}, el('span', {class: 'swatch', style: `background:${c}`}), `p90 ${text}`);
  });
  items.push(el('span', {}, el('span', {class: 'swatch', style: 'background:#fff'}), t('no_reports')));
  items.push(el('span', {}, el('span', {class: 'swatch', style: 'background:#ccc;border-style:dashed'}),
    t('small_sample')));
  document.getElementById('signal-legend').replaceChildren(...items);
}

function describe(p, name, threshold) {
  if (!p.count) return `${name} · ${t('no_reports')}`;
  const share = Math.round(p.share_over * 100);
  return `${name} · ${p.count} ${t('reports')} · ${t('p50')} ${waited(p.p50_s)} · ` +
    `${t('p90')} ${waited(p.p90_s)} · ${share}% ${fill(t('over_threshold'),
      {minutes: Math.round(threshold / 60)})}` + (p.small_sample ? ` · ${t('small_sample')}` : '');
}

function style(p) {
  if (!p || !p.count) return {color: '#999', weight: 0.5, fillColor: '#fff', fillOpacity: 0.05};
  return {color: p.small_sample ? '#777' : '#333', weight: p.small_sample ? 1 : 0.8,
    dashArray: p.small_sample ? '3 3' : null, fillColor: colour(p.p90_s),
    fillOpacity: p.small_sample ? 0.3 : 0.75};
}

function drawDesa(data) {
  const stats = Object.fromEntries(data.desa.features.map(f => [f.properties.code, f.properties]));
  return L.geoJSON(desaPolygons, {
    style: f => style(stats[f.properties.code]),
    onEachFeature: (f, layer) => {
      const p = stats[f.properties.code] || {count: 0};
      layer.feature.properties.signal = p;
      layer.bindTooltip(textNode(describe(p, p.label || f.properties.name, data.threshold_s)),
        {sticky: true});
    }});
}

function drawCells(data) {
  return L.geoJSON(data.cells, {
    style: f => style(f.properties),
    onEachFeature: (f, layer) => layer.bindTooltip(textNode(describe(f.properties,
      `H3 ${f.properties.cell}`, data.threshold_s)), {sticky: true})});
}

function show(which) {
  for (const [name, layer] of Object.entries(layers)) {
    if (!layer) continue;
    if (name === which && !map.hasLayer(layer)) layer.addTo(map);
    if (name !== which && map.hasLayer(layer)) layer.remove();
  }
}

function table(data) {
  const rows = data.ranking.map(r => el('tr', {'data-code': r.code},
    el('td', {}, r.rank), el('td', {}, r.label), el('td', {class: 'count'}, r.count),
    el('td', {}, waited(r.p50_s)), el('td', {}, waited(r.p90_s)),
    el('td', {}, `${Math.round(r.share_over * 100)}% (${r.over_threshold})`)));
  document.querySelector('#signal-ranking tbody').replaceChildren(...(rows.length ? rows :
    [el('tr', {}, el('td', {colspan: 6}, t('no_results')))]));
  const small = data.desa.features.map(f => f.properties).filter(p => p.small_sample)
    .sort((a, b) => b.p90_s - a.p90_s)
    .map(p => el('li', {'data-code': p.code}, `${p.label}: ${p.count} ${t('reports')}, ` +
      `${t('p90')} ${waited(p.p90_s)}`));
  document.getElementById('signal-small').replaceChildren(...small);
}

async function load() {
  summary.textContent = t('loading');
  const q = periodQuery(form);
  q.set('resolution', form.elements.resolution.value);
  q.set('min_count', form.elements.min_count.value || String(config.minCount));
  const [data, polygons] = await Promise.all([
    api('GET', '/v1/operator/signal?' + q),
    desaPolygons ? desaPolygons : api('GET', '/v1/operator/places/areas.geojson?level=desa')]);
  desaPolygons = polygons;
  for (const layer of Object.values(layers)) if (layer) layer.remove();
  layers = {desa: drawDesa(data), cells: drawCells(data)};
  show(document.querySelector('#signal-layers input:checked').value);
  const o = data.overall;
  summary.textContent = o.count ? `${o.count} ${t('reports')} · ${t('p50')} ${waited(o.p50_s)} · ` +
    `${t('p90')} ${waited(o.p90_s)} · ${Math.round(o.share_over * 100)}% ` +
    fill(t('over_threshold'), {minutes: Math.round(data.threshold_s / 60)}) : t('no_reports');
  summary.dataset.count = String(o.count);
  table(data);
}

form.addEventListener('submit', e => { e.preventDefault(); load(); });
for (const input of document.querySelectorAll('#signal-layers input'))
  input.addEventListener('change', () => show(input.value));
legend();
map.ready.then(load);
