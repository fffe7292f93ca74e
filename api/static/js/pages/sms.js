// SMS page: messages in and out (kind, status, the report they made or answer), an SMS reply
// to a report's number, and the block list (block / unblock, both audited by the server).
import {api, config, el, t, wib} from '../lib/api.js';

const rows = document.getElementById('sms-rows'), filters = document.getElementById('sms-filters');

function kindLabel(m) {
  if (m.direction === 'out') return '';
  const kind = t('sms_kind_' + (m.kind || 'unknown'));
  return m.error_code ? `${kind} (${t('sms_refused')}: ${m.error_code})` : kind;
}

async function loadMessages() {
  const f = new FormData(filters), q = new URLSearchParams();
  for (const name of ['direction', 'status']) if (f.get(name)) q.set(name, f.get(name));
  const data = await api('GET', '/v1/operator/sms/messages?' + q);
  rows.replaceChildren(...data.messages.map(m => el('tr', {'data-sms': m.id, class: 'sms-' + m.direction},
    el('td', {}, wib(m.received_at || m.created_at)),
    el('td', {}, t('sms_' + m.direction)),
    el('td', {class: 'number'}, m.number),
    el('td', {class: 'kind'}, kindLabel(m)),
    el('td', {class: 'status'}, t('sms_status_' + m.status),
      m.rate_limited ? el('span', {class: 'badge'}, t('sms_rate_limited')) : null),
    el('td', {class: 'text'}, m.text),
    el('td', {}, m.report ? el('a', {href: '/console/?report=' + encodeURIComponent(m.report),
      class: 'report-link'}, m.report) : ''))));
  document.getElementById('sms-empty').hidden = data.messages.length > 0;
}

async function loadBlocked() {
  const data = await api('GET', '/v1/operator/sms/blocked');
  const body = document.getElementById('blocked-rows');
  body.replaceChildren(...data.blocked.map(b => el('tr', {'data-number': b.number},
    el('td', {}, b.number), el('td', {}, b.reason), el('td', {}, wib(b.blocked_at)),
    el('td', {}, config.canTriage ? el('button', {class: 'unblock', onclick: async () => {
      if (!confirm(t('sms_unblock_confirm'))) return;
      await api('POST', '/v1/operator/sms/unblock', {number: b.number});
      loadBlocked();
    }}, t('sms_unblock')) : ''))));
  if (!data.blocked.length) body.append(el('tr', {}, el('td', {colspan: 4, class: 'muted'},
    t('sms_no_blocked'))));
}

filters.addEventListener('change', loadMessages);

const reply = document.getElementById('sms-reply');
if (reply) reply.addEventListener('submit', async ev => {
  ev.preventDefault();
  const f = new FormData(reply), ref = String(f.get('ref')).trim().toUpperCase();
  const sent = await api('POST', `/v1/operator/reports/${encodeURIComponent(ref)}/sms`,
    {text: f.get('text')});
  document.getElementById('sms-reply-result').textContent = `${t('sms_queued')} → ${sent.number}`;
  reply.reset();
  loadMessages();
});

const block = document.getElementById('block-form');
if (block) block.addEventListener('submit', async ev => {
  ev.preventDefault();
  const f = new FormData(block);
  await api('POST', '/v1/operator/sms/blocked', {number: f.get('number'), reason: f.get('reason')});
  block.reset();
  loadBlocked();
});

loadMessages();
loadBlocked();
