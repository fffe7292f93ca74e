// Kinerja Layanan: figures of every measure for a range (by group), compliance coloured against
// the target, the range's counts, exports and server-drawn charts (SVG <img>).
import {api, config, el, t} from '../lib/api.js';
import {duration, percent, target as targetText, verdict as verdictOf} from '../lib/figures.js';
import {values} from '../lib/forms.js';

const form = document.getElementById('kpi-form');
const body = document.querySelector('#kpi-table tbody');
const counts = document.getElementById('kpi-counts');
const status = document.getElementById('kpi-status');
const labels = Object.fromEntries(config.measures.map(m => [m.name, m.label]));
const charts = {series: document.getElementById('chart-series'),
  histogram: document.getElementById('chart-histogram'), bars: document.getElementById('chart-bars')};

/** YYYY-MM-DD of a Date in WIB (UTC+7, no daylight saving). */
const wibDay = d => new Date(d.getTime() + 7 * 3600e3).toISOString().slice(0, 10);
function nextDay(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function row(r, first) {
  const target = targetText(r) ?? t('kpi_no_target');
  const verdict = verdictOf(r);
  return el('tr', {'data-measure': r.measure, 'data-group': r.group ?? '', class: first ? 'group-start' : null},
    el('td', {}, first ? (r.label ?? t('kpi_all')) : ''),
    el('td', {title: r.target_source || ''}, labels[r.measure] || r.measure),
    el('td', {class: 'num count'}, r.count),
    el('td', {class: 'num open'}, r.open),
    el('td', {class: 'num p50'}, duration(r.p50_s)),
    el('td', {class: 'num p90'}, duration(r.p90_s)),
    el('td', {class: 'num target', title: r.target_source || ''}, target),
    el('td', {class: `num compliance ${verdict}`, title: verdict ? t('kpi_' + verdict) : ''},
      percent(r.compliance)),
    el('td', {class: 'num previous'}, r.previous ? duration(r.previous.p90_s) : '—'));
}

function showCounts(c) {
  const items = [['kpi_reports', c.reports], ['kpi_incidents', c.incidents],
    ['kpi_dispatches', c.dispatches], ['kpi_rejected', c.rejected], ['kpi_merged', c.merged],
    ['kpi_escalated', c.escalated], ['kpi_undelivered', c.undelivered_alerts],
    ['kpi_silent', c.silent], ['kpi_no_location', c.no_location],
    ['kpi_test_excluded', c.test_reports_excluded]];
  const channels = c.by_channel.map(b => [b.label, b.count]);
  counts.replaceChildren(...[...items.map(([k, v]) => [t(k), v]), ...channels]
    .flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function query(params) {
  return new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
}

async function load() {
  const v = values(form);
  const range = {start: v.start, end: nextDay(v.until), group_by: v.group_by};
  status.textContent = t('kpi_loading');
  const report = await api('GET', '/v1/operator/kpi?' + query(range));
  let last;
  body.replaceChildren(...report.rows.map(r => {
    const first = r.group !== last || last === undefined;
    last = r.group;
    return row(r, first);
  }));
  showCounts(report.counts);
  document.getElementById('export-csv').href = '/v1/operator/kpi?' + query({...range, format: 'csv'});
  document.getElementById('export-xlsx').href = '/v1/operator/kpi?' + query({...range, format: 'xlsx'});
  const chart = kind => '/console/kpi/chart.svg?' + query({kind, measure: v.measure, start: range.start,
    end: range.end, group_by: kind === 'bars' ? range.group_by : '', lang: config.locale});
  charts.series.src = chart('series');
  charts.histogram.src = chart('histogram');
  charts.bars.hidden = !range.group_by;
  if (range.group_by) charts.bars.src = chart('bars');
  status.textContent = '';
  history.replaceState(null, '', '?' + query({start: v.start, until: v.until, group_by: v.group_by,
    measure: v.measure}));
}

// The range and grouping from the address (a shared link), else the last 30 days.
const params = new URLSearchParams(location.search);
const today = wibDay(new Date());
form.start.value = params.get('start') || wibDay(new Date(Date.now() - 29 * 86400e3));
form.until.value = params.get('until') || today;
if (params.get('group_by')) form.group_by.value = params.get('group_by');
if (params.get('measure')) form.measure.value = params.get('measure');
form.addEventListener('submit', ev => { ev.preventDefault(); load(); });
load();
