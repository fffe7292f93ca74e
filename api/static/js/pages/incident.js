// Incident page: map, dispatch, status moves, notes — and live: when the feed reports a change
// to this incident (acknowledgement, dispatch status, timeout/escalation, note, status), the
// parts marked data-live are re-rendered from the server's page, without a reload.
import {api, config} from '../lib/api.js';
import {installCopyButtons} from '../lib/copy.js';
import {follow} from '../lib/live.js';
import {makeMap} from '../lib/map.js';

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
    // This incident's changes, and units changing state (they change the recommendations);
    // position fixes alone are too frequent to re-render for.
    const unitState = c => /^unit\./.test(c.type || '') && !/position|location/.test(c.type);
    if (changes.some(c => c === null || mine(c) || unitState(c))) refresh();
  }});
