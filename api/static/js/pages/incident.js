// Incident page: map, dispatch, status moves, notes.
import {api, config} from '../lib/api.js';
import {makeMap} from '../lib/map.js';

const L = window.L;
const number = config.incident;

const node = document.getElementById('map');
if (node.dataset.lat) {
  const map = makeMap('map'), at = [Number(node.dataset.lat), Number(node.dataset.lon)];
  map.setView(at, 12);
  L.circleMarker(at, {radius: 10, color: '#b00'}).addTo(map);
}

for (const b of document.querySelectorAll('button.dispatch')) {
  b.addEventListener('click', async () => {
    await api('POST', `/v1/operator/incidents/${number}/dispatch`,
      {units: [Number(b.dataset.unit)]});
    location.reload();
  });
}

const note = document.getElementById('note-form');
if (note) note.addEventListener('submit', async ev => {
  ev.preventDefault();
  await api('POST', `/v1/operator/incidents/${number}/notes`,
    {text: new FormData(note).get('text')});
  location.reload();
});

for (const b of document.querySelectorAll('button.move')) {
  b.addEventListener('click', async () => {
    await api('POST', `/v1/operator/incidents/${number}/status`, {status: b.dataset.to});
    location.reload();
  });
}
