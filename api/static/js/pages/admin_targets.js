// Admin · Target Layanan: the target in force for every measure (and category), its source,
// the default it overrides; set or remove the regency's own.
import {api, config, el, t} from '../lib/api.js';
import {send, values} from '../lib/forms.js';

const body = document.querySelector('#targets tbody');
const labels = Object.fromEntries(config.measures.map(m => [m.name, m.label]));
const categories = config.categories;
const form = document.getElementById('target-form');

const share = x => x === null || x === undefined ? '—' : `${Math.round(x * 100)} %`;

function row(target) {
  const own = target.source === 'regency';
  const d = target.default;
  const path = `/v1/admin/kpi-targets/${target.measure}?category=${encodeURIComponent(target.category)}`;
  return el('tr', {'data-measure': target.measure, 'data-category': target.category,
    class: own ? 'own' : null},
    el('td', {}, labels[target.measure] || target.measure),
    el('td', {}, target.category === '*' ? t('kpi_every_category') : categories[target.category] || target.category),
    el('td', {class: 'num seconds'}, target.seconds ?? '—'),
    el('td', {class: 'num share'}, share(target.share)),
    el('td', {class: 'source'}, own ? t('kpi_regency') : target.source ? `${t('kpi_default')}: ${target.source}` : '—'),
    el('td', {class: 'default'}, d ? `${share(d.share)} ≤ ${d.seconds} s (${d.source})` : '—'),
    el('td', {}, el('button', {type: 'button', class: 'edit', onclick: () => pick(target)}, t('edit')),
      own ? el('button', {type: 'button', class: 'remove', onclick: async () => {
        await send('DELETE', path);
        load();
      }}, t('kpi_remove')) : null));
}

function pick(target) {
  form.measure.value = target.measure;
  form.category.value = target.category;
  if (target.seconds) form.seconds.value = target.seconds;
  if (target.share) form.percent.value = Math.round(target.share * 100);
  form.seconds.focus();
}

async function load() {
  const data = await api('GET', '/v1/admin/kpi-targets');
  body.replaceChildren(...data.targets.map(row));
}

form.addEventListener('submit', async ev => {
  ev.preventDefault();
  const v = values(form);
  await send('PUT', `/v1/admin/kpi-targets/${v.measure}`, {category: v.category,
    seconds: Number(v.seconds), share: Number(v.percent) / 100});
  load();
});
load();
