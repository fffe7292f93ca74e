// The SMS side of a report in the detail pane: the original SMS (with the desa it may mean),
// the replies, a reply box; and the caller's AML location as a SUPPLEMENTAL circle on the
// map — the report's own location changes only when the operator presses "Pakai lokasi AML".
import {api, config, el, t, wib} from './api.js';
import {textNode} from './map.js';

const L = window.L;

/** The report's SMS, both ways, and (who triages) a reply box to the report's number. */
export function smsSection(d, onSent) {
  const r = d.report, items = d.sms.filter(m => m.kind !== 'aml');
  if (!items.length && !(r.caller_phone && (r.source === 'sms_text' || r.source === 'sms'))) return null;
  const lines = items.map(m => el('li', {class: 'sms sms-' + m.direction},
    el('span', {class: 'muted'}, `${m.direction === 'in' ? t('sms_original') : t('sms_out')} · `,
      `${wib(m.received_at || m.created_at)} · ${m.number}`,
      m.direction === 'out' ? ` · ${t('sms_status_' + m.status)}` : ''),
    el('div', {class: 'sms-text'}, m.text),
    m.parse && m.parse.candidates && m.parse.candidates.length ? el('div', {class: 'candidates'},
      t('sms_candidates'), ' ', el('ul', {}, m.parse.candidates.map(c => el('li', {'data-code': c.code},
        c.name, c.kecamatan ? ` (Kec. ${c.kecamatan})` : '')))) : null));
  let box = null;
  if (config.canTriage && r.caller_phone) {
    const text = el('textarea', {id: 'sms-reply-text', rows: 2, maxlength: 480});
    box = el('form', {class: 'sms-reply', onsubmit: async ev => {
      ev.preventDefault();
      if (!text.value.trim()) return;
      await api('POST', `/v1/operator/reports/${r.ref}/sms`, {text: text.value});
      onSent();
    }}, el('label', {for: 'sms-reply-text'}, `${t('sms_reply_to')} ${r.caller_phone}`), text,
    el('button', {type: 'submit', id: 'sms-reply-send'}, t('sms_send')));
  }
  return el('section', {class: 'report-sms'}, el('h4', {}, t('sms_reply')),
    el('ul', {class: 'sms-thread'}, lines), box);
}

/** The AML fix: a circle of its accuracy radius on `layer` and a panel with method, radius
 *  and the accept button. The report's marker stays where the report says it is. */
export function amlSection(d, layer, onAccepted) {
  layer.clearLayers();
  const a = d.aml, r = d.report;
  if (!a) return null;
  const method = t('aml_method_' + a.method);
  if (a.lat !== null) {
    L.circle([a.lat, a.lon], {radius: a.radius_m || 50, color: '#6a1b9a', weight: 2,
      dashArray: '6 4', fillOpacity: 0.12, className: 'aml-circle'})
      .bindTooltip(textNode(`AML · ${method} · ${t('aml_radius')} ${Math.round(a.radius_m || 0)} m`))
      .addTo(layer);
    L.circleMarker([a.lat, a.lon], {radius: 4, color: '#6a1b9a', fillOpacity: 1,
      className: 'aml-centre'}).addTo(layer);
  }
  const accept = config.canTriage && a.lat !== null && !a.accepted_at
    ? el('button', {id: 'aml-accept', class: 'aml-accept', onclick: async () => {
      await api('POST', `/v1/operator/reports/${r.ref}/aml/accept`);
      onAccepted();
    }}, t('aml_accept')) : null;
  return el('section', {class: 'aml', 'data-method': a.method},
    el('h4', {}, t('aml_title')),
    el('div', {}, el('strong', {}, method),
      a.lat !== null ? ` · ${a.lat.toFixed(5)}, ${a.lon.toFixed(5)} · ${t('aml_radius')} ${
        Math.round(a.radius_m || 0)} m` : '',
      a.confidence !== null ? ` (${a.confidence} %)` : '',
      a.positioned_at ? ` · ${t('aml_positioned')} ${wib(a.positioned_at)}` : ''),
    a.accepted_at ? el('div', {class: 'badge aml-accepted'}, t('aml_accepted'))
      : el('p', {class: 'muted'}, t('aml_supplemental')),
    accept);
}
