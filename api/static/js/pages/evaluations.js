// Evaluation reports: generate a month or a range, download PDF/HTML, write the evaluation.
import {api, el, t, wib} from '../lib/api.js';
import {flash, send, values} from '../lib/forms.js';

const body = document.querySelector('#evaluations tbody');
const empty = document.getElementById('empty');
const base = '/v1/operator/evaluations';

function evaluationForm(r) {
  const keep = el('textarea', {name: 'keep', rows: 3, cols: 40, maxlength: 5000});
  const improve = el('textarea', {name: 'improve', rows: 3, cols: 40, maxlength: 5000});
  keep.value = r.keep || '';
  improve.value = r.improve || '';
  const form = el('form', {class: 'evaluation', 'data-id': r.id},
    el('label', {}, t('evaluation_keep'), el('br', {}), keep), el('br', {}),
    el('label', {}, t('evaluation_improve'), el('br', {}), improve), el('br', {}),
    el('button', {type: 'submit'}, t('save')),
    r.evaluation_at ? el('span', {class: 'muted'}, ` ${wib(r.evaluation_at)}`) : '');
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const saved = await send('PUT', `${base}/${r.id}/evaluation`,
      {keep: keep.value, improve: improve.value});
    form.replaceWith(evaluationForm(saved));
  });
  return form;
}

function row(r) {
  const period = r.period_kind === 'month' ? r.period : `${r.first_date} – ${r.last_date}`;
  return el('tr', {'data-id': r.id, 'data-period': r.period},
    el('td', {}, el('strong', {}, period)),
    el('td', {}, `${r.reports} ${t('evaluation_reports')}`),
    el('td', {}, wib(r.generated_at), el('br', {}),
      el('span', {class: 'muted'}, t('evaluation_' + r.generated_via))),
    el('td', {}, el('a', {href: `${base}/${r.id}/report.pdf`, class: 'pdf'}, 'PDF'), ' · ',
      el('a', {href: `${base}/${r.id}/report.html`, class: 'html'}, 'HTML')),
    el('td', {}, evaluationForm(r)));
}

async function load() {
  const {reports} = await api('GET', base);
  body.replaceChildren(...reports.map(row));
  empty.hidden = reports.length > 0;
}

async function generate(form, payload) {
  const button = form.querySelector('button');
  button.disabled = true;
  flash(t('evaluation_generating'));
  try {
    const r = await send('POST', base, payload);
    await load();
    flash(t('evaluation_generated').replace('%(period)s', r.period));
  } catch (e) {
    // already shown in #flash by send()
  } finally {
    button.disabled = false;
  }
}

document.getElementById('generate-month').addEventListener('submit', ev => {
  ev.preventDefault();
  generate(ev.target, {month: values(ev.target).month});
});
document.getElementById('generate-range').addEventListener('submit', ev => {
  ev.preventDefault();
  const v = values(ev.target);
  generate(ev.target, {start: v.start, end: v.end});
});
load();
