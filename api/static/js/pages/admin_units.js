// Admin · units: list, add, edit (place the post by clicking the map), retire, reactivate.
import {api, el, t} from '../lib/api.js';
import {send, values} from '../lib/forms.js';
import {makeMap, textNode} from '../lib/map.js';

const L = window.L;
const body = document.querySelector('#units tbody');
const form = document.getElementById('unit-form');
const title = document.getElementById('unit-form-title');
const map = makeMap('map', {units: false});
const posts = L.layerGroup().addTo(map);
let marker = null, units = [];

function place(lat, lon, pan = false) {
  form.elements.lat.value = lat.toFixed(6);
  form.elements.lon.value = lon.toFixed(6);
  if (!marker) marker = L.marker([lat, lon], {draggable: true}).addTo(map)
    .on('dragend', () => { const p = marker.getLatLng(); place(p.lat, p.lng); });
  marker.setLatLng([lat, lon]);
  if (pan) map.setView([lat, lon], Math.max(map.getZoom(), 11), {animate: false});
}

map.on('click', e => place(e.latlng.lat, e.latlng.lng));
for (const name of ['lat', 'lon']) form.elements[name].addEventListener('change', () => {
  const lat = parseFloat(form.elements.lat.value), lon = parseFloat(form.elements.lon.value);
  if (Number.isFinite(lat) && Number.isFinite(lon)) place(lat, lon, true);
});

function startEdit(u) {
  form.elements.id.value = u.id;
  for (const k of ['name', 'call_sign', 'post_name']) form.elements[k].value = u[k];
  form.classList.add('editing');
  title.textContent = title.dataset.edit + ': ' + u.name;
  place(u.lat, u.lon, true);
  form.elements.name.focus();
}

function reset() {
  form.reset();
  form.elements.id.value = '';
  form.classList.remove('editing');
  title.textContent = title.dataset.add;
  if (marker) { marker.remove(); marker = null; }
}

function row(u) {
  const toggle = el('button', {type: 'button', class: u.active ? 'retire' : 'reactivate',
    onclick: async () => { await send('PATCH', `/v1/admin/units/${u.id}`, {active: !u.active}); load(); }},
    u.active ? t('retire') : t('reactivate'));
  return el('tr', {'data-unit': u.id, class: u.active ? '' : 'retired'},
    el('td', {}, u.name), el('td', {}, u.call_sign), el('td', {}, u.agency_name),
    el('td', {class: 'post'}, `${u.post_name} (${u.lat.toFixed(4)}, ${u.lon.toFixed(4)})`),
    el('td', {class: 'state'}, u.active ? t('active') : t('retired')),
    el('td', {}, el('button', {type: 'button', class: 'edit', onclick: () => startEdit(u)}, t('edit')),
      ' ', toggle));
}

async function load() {
  const data = await api('GET', '/v1/admin/units');
  units = data.units;
  body.replaceChildren(...units.map(row));
  posts.clearLayers();
  for (const u of units) L.circleMarker([u.lat, u.lon], {radius: 4, weight: 1,
    color: u.active ? '#246' : '#999', fillOpacity: 0.6})
    .bindTooltip(textNode(`${u.name} (${u.post_name})`)).addTo(posts);
}

async function loadAgencies() {
  const data = await api('GET', '/v1/admin/agencies');
  form.elements.agency_id.replaceChildren(...data.agencies.map(a => el('option', {value: a.id}, a.name)));
}

form.addEventListener('submit', async ev => {
  ev.preventDefault();
  const v = values(form);
  const fields = {name: v.name, call_sign: v.call_sign, post_name: v.post_name,
    lat: parseFloat(v.lat), lon: parseFloat(v.lon)};
  if (v.id) await send('PATCH', `/v1/admin/units/${v.id}`, fields);
  else await send('POST', '/v1/admin/units', {...fields, agency_id: parseInt(v.agency_id, 10)});
  reset();
  load();
});
document.getElementById('unit-cancel').addEventListener('click', reset);
loadAgencies();
load();
