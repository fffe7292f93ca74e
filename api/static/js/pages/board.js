// Papan Pantau: the supervisor's live board. Reads GET /v1/operator/board, refetches it when
// the live feed reports any change (at most once per THROTTLE_MS) or, without the feed, every
// 10 s (live.js); the wall screen also refetches every wallRefreshS. Ages tick every second
// from the server's clock, so a slow refetch never freezes them.
import {api, categoryLabel, clock, config, el, statusLabel, t, waited} from '../lib/api.js';
import {duration, percent, target, verdict} from '../lib/figures.js';
import {follow} from '../lib/live.js';

const THROTTLE_MS = 1000;
const $ = id => document.getElementById(id);
let board = null, skewMs = 0, inFlight = false, again = false, lastFetch = 0, timer = null;

const serverNow = () => Date.now() + skewMs;
const since = iso => iso ? (serverNow() - Date.parse(iso)) / 1000 : null;
const ageText = iso => iso ? clock(since(iso)) : t('board_none');

function pairs(node, rows) {
  node.replaceChildren(...rows.flatMap(([key, value, cls]) => [
    el('dt', null, t(key)), el('dd', {class: cls || null, 'data-key': key}, String(value))]));
}

function render() {
  const b = board;
  $('waiting-count').textContent = b.waiting.count;
  $('tile-waiting').classList.toggle('alarm', b.waiting.count > 0);
  $('waiting-extra').replaceChildren(
    b.waiting.silent ? el('span', {class: 'badge silent'}, `${b.waiting.silent} ${t('silent')}`) : '',
    b.waiting.flooded ? el('span', {class: 'badge'}, `+${b.waiting.flooded} ${t('board_flooded')}`) : '');
  $('incident-states').replaceChildren(...b.incidents.map(row => el('tr', {'data-state': row.state},
    el('td', null, statusLabel(row.state)), el('td', {class: 'n'}, String(row.count)),
    el('td', {class: 'age', 'data-since': row.oldest_at || ''},
      row.oldest_at ? ageText(row.oldest_at) : '–'))));
  const e = b.escalations;
  pairs($('escalation-figures'), [
    ['board_attention', e.needs_attention, e.needs_attention ? 'bad' : ''],
    ['board_awaiting_ack', e.awaiting_ack], ['board_overdue_ack', e.overdue_ack, e.overdue_ack ? 'bad' : ''],
    ['board_timed_out_today', e.timed_out_today], ['board_declined_today', e.declined_today]]);
  $('attention-list').replaceChildren(...e.incidents.map(i => el('li', null,
    el('a', {href: `/console/incidents/${i.number}`}, i.number), ' · ', categoryLabel(i.category),
    ' · ', statusLabel(i.state), ' · ', waited(i.age_s))));
  const a = b.alerts;
  pairs($('alert-figures'), [['board_alerts_open', a.open, a.open ? 'bad' : ''],
    ['board_alerts_today', a.today]]);
  $('alert-list').replaceChildren(...a.items.map(i => el('li', null,
    el('a', {href: `/console/incidents/${i.incident}`}, i.incident), ' · ', i.unit, ' · ',
    t('board_alert_' + i.status), i.error ? ` (${i.error})` : '')));
  pairs($('today-figures'), [['board_today_reports', b.today.reports],
    ['board_today_incidents', b.today.incidents]]);
  targets(b.today.measures);
  $('agency-units').replaceChildren(...b.agencies.map(ag => el('tr', {'data-agency': ag.id},
    el('td', null, ag.name),
    ...config.unitStates.map(s => el('td', {class: `n unit-${s}`, 'data-state': s},
      String(ag.states[s] ?? 0))))));
  $('board-updated').textContent = `${t('board_updated')} ${new Date(b.at).toLocaleTimeString(
    'id-ID', {timeZone: 'Asia/Jakarta'})} WIB`;
  tick();
}

/** Today's headline measures (columns, in the page's order) against target: count, p50 / p90,
 *  target, and compliance coloured met / missed. */
function targets(measures) {
  const rows = [
    ['board_measure_count', m => [String(m.count), '']],
    ['board_measure_p50_p90', m => [`${duration(m.p50_s)} / ${duration(m.p90_s)}`, '']],
    ['board_measure_target', m => [target(m) ?? '—', '']],
    ['board_measure_compliance', m => [percent(m.compliance), verdict(m)]]];
  $('today-targets').replaceChildren(...rows.map(([key, cell]) => el('tr', {'data-row': key},
    el('th', null, t(key)),
    ...measures.map(m => {
      const [text, cls] = cell(m);
      return el('td', {class: `n ${cls}`.trim(), 'data-measure': m.measure,
        title: cls ? t('kpi_' + cls) : null}, text);
    }))));
}

function tick() {
  $('board-clock').textContent = new Date(serverNow()).toLocaleTimeString('id-ID',
    {timeZone: 'Asia/Jakarta', hour: '2-digit', minute: '2-digit', second: '2-digit'}) + ' WIB';
  if (!board) return;
  $('waiting-oldest').textContent = ageText(board.waiting.oldest_at);
  for (const cell of document.querySelectorAll('td.age[data-since]'))
    if (cell.dataset.since) cell.textContent = ageText(cell.dataset.since);
}

async function refresh() {
  if (inFlight) { again = true; return; }
  inFlight = true;
  try {
    const started = Date.now();
    board = await api('GET', '/v1/operator/board', undefined, {quiet: true});
    skewMs = Date.parse(board.at) - (started + Date.now()) / 2;
    lastFetch = Date.now();
    render();
    $('board').setAttribute('aria-busy', 'false');
    $('board').dataset.refreshes = String(Number($('board').dataset.refreshes || 0) + 1);
  } catch (err) {
    $('board-updated').textContent = t('request_failed');
  } finally {
    inFlight = false;
    if (again) { again = false; schedule(); }
  }
}

/** Refetch soon, but never more often than once per THROTTLE_MS (a busy night's feed). */
function schedule() {
  if (timer) return;
  timer = setTimeout(() => { timer = null; refresh(); },
    Math.max(0, lastFetch + THROTTLE_MS - Date.now()));
}

refresh();
setInterval(tick, 1000);
if (config.wall) setInterval(schedule, config.wallRefreshS * 1000);
follow({cursor: config.cursor, indicator: $('live'), enabled: config.canFeed, onChange: schedule});
