// Incident page: map, dispatch, status moves, notes — and live: when the feed reports a change
// to this incident (acknowledgement, dispatch status, timeout/escalation, note, status), the
// parts marked data-live are re-rendered from the server's page, without a reload; a new AML
// fix for one of its reports (`report.aml`) redraws that report's AML section and circle.
import {api, config, el} from '../lib/api.js';
import {installCopyButtons} from '../lib/copy.js';
import {follow} from '../lib/live.js';
import {makeMap} from '../lib/map.js';
import {amlSection} from '../lib/sms.js';

const L = window.L;
const number = config.incident;
window.siagaIncident = {refreshes: 0};  // for tests: how many live re-renders happened

installCopyButtons();

const node = document.getElementById('map');
const map = makeMap('map');
if (node.dataset.lat) {
  const at = [Number(node.dataset.lat), Number(node.dataset.lon)];
  map.setView(at, 12);
  L.circleMarker(at, {radius: 10, color: '#b00', weight: 3}).addTo(map);
}

// Each linked report's AML fix: its accuracy circle (purple, dashed: supplemental, never the
// incident's point) with the positioning method, and the operator's accept button — the
// same endpoint as on the report's page; nothing moves until it is pressed.
const amlBox = document.getElementById('aml-box');
const amlLayers = new Map();

function showAml(item) {
  let layer = amlLayers.get(item.report.ref);
  if (!layer) amlLayers.set(item.report.ref, layer = L.layerGroup().addTo(map));
  const section = amlSection(item, layer, () => reloadAml(item.report.ref));
  if (!section) return null;
  section.dataset.ref = item.report.ref;
  section.prepend(el('div', {class: 'aml-report'}, item.report.ref));
  return section;
}

async function reloadAml(ref) {
  const d = await api('GET', `/v1/operator/reports/${ref}`);
  const old = amlBox.querySelector(`section.aml[data-ref="${ref}"]`);
  const fresh = showAml({report: d.report, aml: d.aml});
  if (old && fresh) old.replaceWith(fresh); else if (fresh) amlBox.append(fresh);
  refresh();  // the report's place in the list follows the accepted point
}

const amlItems = config.aml || [];
for (const item of amlItems) {
  const section = showAml(item);
  if (section) amlBox.append(section);
}
const fixes = amlItems.filter(i => i.aml.lat !== null);
if (fixes.length) {
  let bounds = L.latLngBounds(fixes.map(i => [i.aml.lat, i.aml.lon]));
  if (node.dataset.lat) bounds = bounds.extend([Number(node.dataset.lat), Number(node.dataset.lon)]);
  map.fitBounds(bounds.pad(0.5), {maxZoom: 15});
}

let running = null, again = false;

/** Re-render the live parts from a fresh copy of this page (one request at a time). */
async function refresh() {
  if (running) { again = true; return running; }
  running = (async () => {
    do {
      again = false;
      const r = await fetch(location.pathname, {credentials: 'same-origin',
        headers: {Accept: 'text/html'}});
      if (!r.ok) break;
      // Our own server-rendered (autoescaped) page; parsed inert, never executed.
      const fresh = new DOMParser().parseFromString(await r.text(), 'text/html');
      for (const part of document.querySelectorAll('[data-live][id]')) {
        const next = fresh.getElementById(part.id);
        if (next && !next.isEqualNode(part)) part.replaceWith(document.importNode(next, true));
      }
      window.siagaIncident.refreshes += 1;
    } while (again);
  })();
  try { await running; } finally { running = null; }
}

// Buttons inside live parts are re-created on each refresh: listen on the document.
document.addEventListener('click', async ev => {
  const dispatch = ev.target.closest('button.dispatch[data-unit]');
  const move = ev.target.closest('button.move[data-to]');
  if (dispatch) {
    dispatch.disabled = true;
    try {
      await api('POST', `/v1/operator/incidents/${number}/dispatch`,
        {units: [Number(dispatch.dataset.unit)]});
    } finally { dispatch.disabled = false; }
    refresh();
  } else if (move) {
    await api('POST', `/v1/operator/incidents/${number}/status`, {status: move.dataset.to});
    refresh();
  }
});

// Taking a busy unit off its job needs a reason (audited); the server cancels the old
// dispatch and creates this one in one transaction.
document.addEventListener('submit', async ev => {
  const form = ev.target.closest('form.reassign[data-unit]');
  if (!form) return;
  ev.preventDefault();
  const button = form.querySelector('button');
  button.disabled = true;
  try {
    await api('POST', `/v1/operator/incidents/${number}/dispatch`,
      {units: [Number(form.dataset.unit)], reassign: true,
       reason: new FormData(form).get('reason')});
  } finally { button.disabled = false; }
  refresh();
});

const note = document.getElementById('note-form');
if (note) note.addEventListener('submit', async ev => {
  ev.preventDefault();
  await api('POST', `/v1/operator/incidents/${number}/notes`,
    {text: new FormData(note).get('text')});
  note.reset();
  refresh();
});

const mine = change => change && change.data && change.data.incident === number;
follow({cursor: config.cursor, indicator: document.getElementById('live'), enabled: config.canFeed,
  onChange: changes => {
    // A new AML fix for one of this incident's reports: its circle and section, redrawn.
    for (const c of changes) if (mine(c) && c.type === 'report.aml') reloadAml(c.data.report);
    // This incident's changes, and units changing state (they change the recommendations);
    // position fixes alone are too frequent to re-render for.
    const unitState = c => /^unit\./.test(c.type || '') && !/position|location/.test(c.type);
    if (changes.some(c => c === null || mine(c) || unitState(c))) refresh();
  }});
