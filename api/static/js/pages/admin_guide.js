// Admin · Panduan Publik: edit every section in Bahasa Indonesia and English, preview the
// draft (a plain form post to a new tab, no script there), publish it as a new version.
import {api, el, t, wib} from '../lib/api.js';
import {flash} from '../lib/forms.js';

const form = document.getElementById('guide-form');
const holder = document.getElementById('sections');
const versions = document.querySelector('#versions tbody');
const LANGS = ['id', 'en'];
const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, k) => String(values[k] ?? ''));
let order = [];  // section keys in reading order
let limits = {};

const field = (name, value, long, max, required) => long
  ? el('textarea', {name, maxlength: max, required, rows: 8}, value)
  : el('input', {name, value, maxlength: max, required});

function section(key, s) {
  const pair = (part, long) => el('div', {class: 'guide-langs'}, LANGS.map(lang => el('label', {},
    `${t(part === 'title' ? 'guide_title' : 'guide_text')} · ${t('lang_' + lang)}`,
    field(`${key}.${part}.${lang}`, s[part][lang], long, limits[part], lang === 'id'),
    el('span', {class: 'field-error', 'data-for': `${key}.${part}.${lang}`}))));
  return el('fieldset', {class: 'guide-section', 'data-section': key},
    el('legend', {}, s.title.id, ' ', el('span', {class: 'muted'}, `(${key})`)),
    pair('title', false), pair('text', true));
}

function show(data) {
  limits = data.limits;
  order = data.section_keys;
  holder.replaceChildren(...order.map(key => section(key, data.sections[key])));
  form.elements.base_version.value = data.current_version;
  form.elements.sms_example_desa.value = data.sms_example_desa;
  document.getElementById('sms-example').textContent = `KEBAKARAN di desa ${data.sms_example_desa}`;
  document.getElementById('placeholders').textContent = data.placeholders.join(' ');
  document.getElementById('version-info').textContent = fill(t('guide_public_version'), {
    version: data.current_version ? data.current_version : t('guide_builtin')});
  versions.replaceChildren(...data.versions.map(v => el('tr', {'data-version': v.version},
    el('td', {}, v.version), el('td', {}, wib(v.published_at)), el('td', {}, v.author),
    el('td', {}, el('button', {type: 'button', class: 'load', onclick: () => load(v.version)},
      t('guide_load'))))));
}

async function load(version) {
  const data = await api('GET', '/v1/admin/guide' + (version ? `?version=${version}` : ''));
  show(data);
  if (version && version !== data.current_version) flash(fill(t('guide_loaded'), {version}));
}

function draft() {
  const value = name => form.elements[name].value;
  return {base_version: Number(value('base_version')), sms_example_desa: value('sms_example_desa'),
    sections: Object.fromEntries(order.map(key => [key, {
      title: {id: value(`${key}.title.id`), en: value(`${key}.title.en`)},
      text: {id: value(`${key}.text.id`), en: value(`${key}.text.en`)}}]))};
}

// Marks the fields a 422 names ({sections: {misuse: {text: {id: [...]}}}, sms_example_desa: [...]}).
function markErrors(details) {
  form.querySelectorAll('[aria-invalid]').forEach(n => n.removeAttribute('aria-invalid'));
  form.querySelectorAll('.field-error').forEach(n => { n.textContent = ''; });
  const mark = (name, messages) => {
    const input = form.elements[name];
    if (input) input.setAttribute('aria-invalid', 'true');
    const slot = form.querySelector(`.field-error[data-for="${name}"]`);
    if (slot) slot.textContent = [].concat(messages).join(' ');
  };
  details = (details && details.json) || details || {};
  for (const [key, parts] of Object.entries(details.sections || {})) {
    if (!order.includes(key) || typeof parts !== 'object' || Array.isArray(parts)) continue;
    for (const [part, langs] of Object.entries(parts))
      if (typeof langs === 'object' && !Array.isArray(langs))
        for (const [lang, messages] of Object.entries(langs)) mark(`${key}.${part}.${lang}`, messages);
  }
  if (details.sms_example_desa) mark('sms_example_desa', details.sms_example_desa);
}

form.addEventListener('submit', async ev => {
  if (ev.submitter && ev.submitter.id !== 'publish') return;  // a preview: the browser posts it
  ev.preventDefault();
  try {
    const data = await api('PUT', '/v1/admin/guide', draft(), {quiet: true});
    markErrors({});
    show(data);
    flash(fill(t('guide_published'), {version: data.version}));
  } catch (e) {
    if (e.code === 'validation_error') {
      markErrors(e.details);
      flash(t('check_input'), true);
    } else if (e.code === 'version_conflict') {
      flash(fill(t('guide_conflict'), {version: e.details.current_version}), true);
    } else flash(e.message, true);
  }
});
load();
