// Wilayah (areas) page: import a GeoJSON FeatureCollection through the admin API.
// A file larger than the server's body limit goes in parts (each part is all-or-nothing and
// the import is idempotent, so a refused part can be fixed and the file sent again).
import {api, config, el, t} from '../lib/api.js';

const form = document.getElementById('import-form');
const result = document.getElementById('import-result');

const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, k) => String(values[k] ?? ''));

function show(...nodes) {
  result.replaceChildren(...nodes);
}

/** Features in parts whose JSON stays under the server's body limit (with headroom). */
function parts(features) {
  const limit = Math.floor((config.maxBodyBytes || 262144) * 0.8);
  const out = [];
  let current = [], size = 0;
  for (const f of features) {
    const n = new Blob([JSON.stringify(f)]).size + 1;
    if (current.length && size + n > limit) { out.push(current); current = []; size = 0; }
    current.push(f); size += n;
  }
  if (current.length) out.push(current);
  return out;
}

function refused(error) {
  const problems = (error.details && error.details.features) || {};
  const items = Object.entries(problems).map(([index, fields]) => el('li', {},
    `${t('areas_feature')} ${index}: `,
    Object.entries(fields).map(([field, msgs]) => `${field}: ${[].concat(msgs).join(', ')}; `)));
  return [el('p', {class: 'error'}, t('areas_refused'), ' ', error.message),
          items.length ? el('ul', {class: 'problems'}, items) : null];
}

form.addEventListener('submit', async event => {
  event.preventDefault();
  const file = form.elements.file.files[0];
  if (!file) return;
  let collection;
  try {
    collection = JSON.parse(await file.text());
  } catch (e) {
    collection = null;
  }
  if (!collection || collection.type !== 'FeatureCollection' || !Array.isArray(collection.features)) {
    show(el('p', {class: 'error'}, t('areas_bad_file')));
    return;
  }
  const total = {inserted: 0, updated: 0, unchanged: 0};
  const chunks = parts(collection.features);
  form.querySelector('button').disabled = true;
  try {
    for (const [i, features] of chunks.entries()) {
      if (chunks.length > 1) show(el('p', {}, fill(t('areas_sending'), {part: i + 1, parts: chunks.length})));
      const answer = await api('POST', '/v1/admin/areas', {type: 'FeatureCollection', features},
        {quiet: true});
      for (const k of Object.keys(total)) total[k] += answer[k];
    }
    show(el('p', {class: 'ok'}, fill(t('areas_imported'), total)));
    setTimeout(() => location.reload(), 1500);
  } catch (error) {
    show(...refused(error));
  } finally {
    form.querySelector('button').disabled = false;
  }
});
