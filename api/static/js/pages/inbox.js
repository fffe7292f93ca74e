// Inbox page: incoming reports live (with sound, badge and notification for new ones and a
// running clock of each report's wait for triage), triage (confirm / reject / merge), voice-call
// reports placed by desa name or a click on the map, and the active incidents.
import {api, categoryLabel, clock, config, el, statusLabel, t, waited, wib} from '../lib/api.js';
import {badge, beep, muteToggle, notificationButton, notify} from '../lib/alarm.js';
import {installCopyButtons, phoneWithCopy} from '../lib/copy.js';
import {follow} from '../lib/live.js';
import {makeMap, textNode} from '../lib/map.js';
import {placeBadge, placeCombobox, placeText} from '../lib/places.js';
import {amlSection, smsSection} from '../lib/sms.js';

const L = window.L;
const ACTIVE = ['open', 'dispatched', 'acknowledged', 'en_route', 'on_scene'];
const REMIND_AFTER_S = 60;    // a report untriaged this long makes the console beep again
const REMIND_EVERY_MS = 60000;

const map = makeMap('map'), markers = L.layerGroup().addTo(map), amlLayer = L.layerGroup().addTo(map);
const list = document.getElementById('reports'), detail = document.getElementById('detail');
let selected = null, seen = null, waiting = [];

installCopyButtons();
muteToggle(document.getElementById('sound-toggle'));
notificationButton(document.getElementById('notify-enable'));

/** The time a report has been waiting for triage, ticking (see tick()). */
// role=timer is not announced each second (the list itself is an aria-live region).
const waitClock = r => el('span', {class: 'waiting', 'data-since': r.received_at,
  title: t('waiting'), role: 'timer', 'aria-live': 'off'}, el('span', {class: 'clock'}, clock(secondsSince(r.received_at))));
const secondsSince = iso => (Date.now() - Date.parse(iso)) / 1000;

/** How the report reached the centre, when not by the app: voice call, SMS, or a unit's post. */
function channelBadge(r) {
  if (r.source === 'post') {
    const unit = r.taken_by_unit ? r.taken_by_unit.name : '?';
    return el('span', {class: 'badge channel-post'}, `${t('taken_at_post')} ${unit}`,
      r.taken_via ? ` (${t('via_' + r.taken_via)})` : '');
  }
  const label = {call: 'voice_call', sms: 'channel_sms', sms_text: 'channel_sms_text'}[r.source];
  return label ? el('span', {class: 'badge'}, t(label)) : null;
}

function reportLine(r, {live = false} = {}) {
  return [el('strong', {}, categoryLabel(r.category)),
    r.silent ? el('span', {class: 'badge silent'}, t('silent')) : null,
    r.test ? el('span', {class: 'badge test'}, t('test_traffic')) : null,
    live && r.status === 'received' ? waitClock(r) : null,
    el('span', {class: 'muted'}, ` ${r.ref} · ${wib(r.captured_at)}`,
      r.waited_s >= 60 ? ` · ${t('waited')} ${waited(r.waited_s)}` : ''),
    r.clock_skew_flagged ? el('span', {class: 'badge'}, t('clock_flag')) : null,
    el('div', {class: 'where'}, placeBadge(r.place, r.lat !== null),
      r.lat !== null ? el('span', {class: 'muted'}, ` · ${t('accuracy')} ${
        r.accuracy_m === null ? '?' : Math.round(r.accuracy_m) + ' m'}`) : null,
      channelBadge(r),
      r.caller_phone ? phoneWithCopy(r.caller_phone) : null),
    r.place_said ? el('div', {class: 'muted place-said'}, `${t('place_said')} “${r.place_said}”`) : null,
    r.note ? el('div', {class: 'note'}, r.note) : null];
}

function tick() {
  for (const node of list.querySelectorAll('.waiting[data-since]')) {
    const s = secondsSince(node.dataset.since);
    node.querySelector('.clock').textContent = clock(s);
    node.classList.toggle('late', s >= REMIND_AFTER_S);
  }
}
setInterval(tick, 1000);

function announce(fresh) {
  if (!fresh.length) return;
  beep({urgent: fresh.some(r => r.silent)});
  const first = fresh[0];
  notify(`${first.silent ? t('silent') : t('new_report')} · ${categoryLabel(first.category)}`,
    [placeText(first.place, first.lat !== null), first.note].filter(Boolean).join(' — '),
    first.ref);
}

// Reminder while reports wait: the operator who stepped away hears it again.
setInterval(() => {
  if (waiting.some(r => secondsSince(r.received_at) >= REMIND_AFTER_S))
    beep({urgent: true});
}, REMIND_EVERY_MS);

async function refresh() {
  const data = await api('GET', '/v1/operator/inbox');
  // The server orders silent SOS first; keep them on top whatever else arrives.
  const reports = [...data.reports.filter(r => r.silent), ...data.reports.filter(r => !r.silent)];
  waiting = reports.filter(r => r.status === 'received');
  const fresh = seen === null ? [] : waiting.filter(r => !seen.has(r.ref));
  seen = new Set(reports.map(r => r.ref));
  list.replaceChildren(...reports.map(r => el('li',
    {class: 'report' + (r.silent ? ' silent' : '') + (r.ref === selected ? ' selected' : '') +
      (fresh.includes(r) ? ' fresh' : ''),
     'data-ref': r.ref, tabindex: 0, onclick: () => select(r.ref),
     onkeydown: ev => { if (ev.key === 'Enter') select(r.ref); }}, reportLine(r, {live: true}))));
  document.getElementById('empty').hidden = reports.length > 0;
  renderFloods(data.floods);
  badge(waiting.length);
  announce(fresh);
  markers.clearLayers();
  reports.filter(r => r.lat !== null).forEach(r =>
    L.circleMarker([r.lat, r.lon], {radius: 8, color: r.silent ? '#b00' : '#d60'})
      .bindTooltip(textNode(`${r.ref} ${categoryLabel(r.category)}`))
      .on('add', ev => ev.target.getElement() && ev.target.getElement().setAttribute('data-ref', r.ref))
      .on('click', () => select(r.ref)).addTo(markers));
  return data.cursor;
}

// Possible floods: one row per device beyond its SOS rate, after every real report. All of
// its reports are stored; the newest opens like any report (its history lists the rest).
function renderFloods(floods) {
  document.getElementById('flood-section').hidden = floods.length === 0;
  document.getElementById('floods').replaceChildren(...floods.map(f => el('li',
    {class: 'flood', 'data-device': f.device_id},
    el('strong', {}, `${f.count} ${t('flood_reports')}`), ' ',
    f.muted ? el('span', {class: 'badge'}, t('muted')) : null,
    f.revoked ? el('span', {class: 'badge'}, t('revoked')) : null,
    f.caller_phone ? phoneWithCopy(f.caller_phone) : null,
    el('div', {class: 'report', tabindex: 0, onclick: () => select(f.newest.ref)},
      reportLine(f.newest)),
    config.canTriage ? el('div', {class: 'actions'},
      el('button', {class: 'mute', onclick: async () => {
        await api('POST', `/v1/operator/devices/${f.device_id}/mute`, {muted: !f.muted});
        refresh();
      }}, f.muted ? t('unmute') : t('mute')),
      f.revoked ? null : el('button', {class: 'revoke', onclick: async () => {
        if (!window.confirm(t('revoke_confirm'))) return;
        await api('POST', `/v1/operator/devices/${f.device_id}/revoke`);
        refresh();
      }}, t('revoke'))) : null)));
}

async function incidents() {
  const q = ACTIVE.map(s => 'status=' + s).join('&');
  const data = await api('GET', '/v1/operator/incidents?' + q);
  document.getElementById('incidents').replaceChildren(...data.incidents.map(i => el('li',
    {class: i.needs_attention ? 'attention' : null},
    i.needs_attention ? el('span', {class: 'badge silent', title: t('needs_attention')}, '⚠') : null,
    el('a', {href: '/console/incidents/' + i.number}, i.number), ' ',
    categoryLabel(i.category), ' · P', i.priority, ' · ', statusLabel(i.status),
    i.place ? el('div', {class: 'muted'}, placeText(i.place, i.lat !== null)) : null)));
}

async function select(ref) {
  selected = ref;
  const d = await api('GET', '/v1/operator/reports/' + ref), r = d.report;
  const aml = d.aml && d.aml.lat !== null ? [d.aml.lat, d.aml.lon] : null;
  // Both the report and the caller's AML circle in view: the operator compares them.
  if (r.lat !== null && aml) map.fitBounds(L.latLngBounds([[r.lat, r.lon], aml]).pad(0.4), {maxZoom: 15});
  else if (r.lat !== null) map.setView([r.lat, r.lon], 13);
  else if (aml) map.setView(aml, 13);
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
      detail.replaceChildren(); amlLayer.clearLayers(); refresh();
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
  detail.replaceChildren(...[el('h3', {}, r.ref, ' · ', statusLabel(r.status)),
    el('div', {}, reportLine(r)), el('div', {class: 'actions'}, actions),
    amlSection(d, amlLayer, () => select(ref)), smsSection(d, () => select(ref)),
    el('h4', {}, t('likely_duplicates')), el('ul', {}, dupes),
    el('h4', {}, t('reporter_history')),
    el('ul', {}, d.reporter_history.map(h => el('li', {}, reportLine(h))))].filter(Boolean));
  refresh();
}

// Voice-call reports: the place is a desa picked by name, or a point clicked on the map.
const form = document.getElementById('call-form');
if (form) {
  const call = document.getElementById('call'), where = document.getElementById('call-place');
  const search = document.getElementById('desa-search');
  let pin = null;
  const setPin = (lat, lon) => {
    if (pin) pin.remove();
    pin = L.marker([lat, lon], {title: t('call_location')}).addTo(map);
  };
  const choose = ({desa = null, lat = null, lon = null, text}) => {
    form.elements.desa_code.value = desa ? desa.code : '';
    form.elements.lat.value = lat === null ? '' : lat.toFixed(5);
    form.elements.lon.value = lon === null ? '' : lon.toFixed(5);
    where.textContent = text;
    where.classList.add('chosen');
    if (lat !== null) setPin(lat, lon);
  };
  placeCombobox(search, document.getElementById('desa-options'), place => {
    search.value = place.name;
    const has = place.label_lat !== null && place.label_lat !== undefined;
    if (place.level === 'kecamatan') {  // a kecamatan narrows the search, it is not a place
      if (has) map.setView([place.label_lat, place.label_lon], 11);
      return;
    }
    choose({desa: place, lat: has ? place.label_lat : null, lon: has ? place.label_lon : null,
      text: place.label || place.name});
    if (has) map.setView([place.label_lat, place.label_lon], 13);
  });
  map.on('click', ev => {
    if (!call.open) return;
    search.value = '';
    choose({lat: ev.latlng.lat, lon: ev.latlng.lng,
      text: `${t('map_point')} ${ev.latlng.lat.toFixed(5)}, ${ev.latlng.lng.toFixed(5)}`});
  });
  // Typed coordinates (advanced) replace a chosen desa.
  for (const name of ['lat', 'lon']) form.elements[name].addEventListener('input', () => {
    form.elements.desa_code.value = '';
    where.textContent = t('typed_coordinates');
  });
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const f = new FormData(form), num = v => v === '' || v === null ? null : Number(v);
    const body = {category: f.get('category'), note: f.get('note'),
      caller_phone: f.get('caller_phone') || null, silent: f.get('silent') === 'on'};
    if (f.get('desa_code')) body.desa_code = f.get('desa_code');
    else Object.assign(body, {lat: num(f.get('lat')), lon: num(f.get('lon'))});
    const created = await api('POST', '/v1/operator/reports', body);
    if (seen && created && created.ref) seen.add(created.ref);  // no alarm for our own entry
    form.reset();
    form.elements.desa_code.value = '';
    where.textContent = t('call_place_hint');
    where.classList.remove('chosen');
    if (pin) { pin.remove(); pin = null; }
    refresh();
  });
}

const cursor = await refresh();
incidents();
// Opened from another page (the SMS list links here): show that report.
const wanted = new URLSearchParams(location.search).get('report');
if (wanted) select(wanted);
follow({cursor, indicator: document.getElementById('live'), enabled: config.canFeed,
  onChange: changes => {
    // The open report's caller sent an AML fix (report.aml): show it beside the report.
    if (selected && changes.some(c => c && c.type === 'report.aml' && c.data.report === selected)) {
      select(selected);  // refreshes the list too
    } else refresh();
    incidents();
  }});
