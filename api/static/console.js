// Siaga 112 operator console. Plain JS over /v1/operator; user text only via textContent.
const Siaga = (() => {
  const S = window.SIAGA, M = S.catalogue.messages, ST = S.catalogue.status,
    CAT = S.catalogue.categories;
  const csrf = document.querySelector('meta[name=csrf-token]').content;
  const ACTIVE = ['open', 'dispatched', 'acknowledged', 'en_route', 'on_scene'];
  const fmt = new Intl.DateTimeFormat('id-ID', {timeZone: 'Asia/Jakarta', day: '2-digit',
    month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit'});
  const wib = iso => fmt.format(new Date(iso)) + ' WIB';

  async function api(method, path, body) {
    const r = await fetch(path, {method, credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
      body: body === undefined ? undefined : JSON.stringify(body)});
    const data = r.status === 204 ? null : await r.json();
    if (!r.ok) { alert(data.error.message); throw new Error(data.error.code); }
    return data;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false)
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  function waited(seconds) {
    if (seconds < 90) return Math.round(seconds) + ' s';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min';
    return (seconds / 3600).toFixed(1) + ' h';
  }

  function makeMap(id) {
    const map = L.map(id, {zoomSnap: 0.5}).setView([-2.55, 103.9], 8.5);
    if (S.tileUrl) L.tileLayer(S.tileUrl, {maxZoom: 18}).addTo(map);
    // Unit posts give the map its bearings when no tiles are configured (offline centres).
    api('GET', '/v1/operator/units').then(data => data.units.forEach(u =>
      L.circleMarker([u.lat, u.lon], {radius: 4, color: u.on_duty ? '#246' : '#999',
        weight: 1, fillOpacity: 0.6}).bindTooltip(`${u.name} (${u.post_name})`).addTo(map)));
    return map;
  }

  function reportLine(r) {
    return [el('strong', {}, CAT[r.category] || r.category),
      r.silent ? el('span', {class: 'badge silent'}, M.silent) : null,
      el('span', {class: 'muted'}, ` ${r.ref} · ${wib(r.captured_at)} · ${M.waited} ${waited(r.waited_s)}`),
      r.clock_skew_flagged ? el('span', {class: 'badge'}, M.clock_flag) : null,
      r.lat === null ? el('span', {class: 'badge'}, M.no_location)
        : el('span', {class: 'muted'}, ` · ${M.accuracy} ${r.accuracy_m === null ? '?' : Math.round(r.accuracy_m) + ' m'}`),
      r.source === 'call' ? el('span', {class: 'badge'}, '☎ ' + (r.caller_phone || '')) : null,
      r.note ? el('div', {class: 'note'}, r.note) : null];
  }

  async function inbox() {
    const map = makeMap('map'), markers = L.layerGroup().addTo(map);
    const list = document.getElementById('reports'), detail = document.getElementById('detail');
    let selected = null;

    async function refresh() {
      const data = await api('GET', '/v1/operator/inbox');
      list.replaceChildren(...data.reports.map(r => el('li',
        {class: 'report' + (r.silent ? ' silent' : '') + (r.ref === selected ? ' selected' : ''),
         'data-ref': r.ref, tabindex: 0, onclick: () => select(r.ref)}, reportLine(r))));
      document.getElementById('empty').hidden = data.reports.length > 0;
      markers.clearLayers();
      data.reports.filter(r => r.lat !== null).forEach(r =>
        L.circleMarker([r.lat, r.lon], {radius: 8, color: r.silent ? '#b00' : '#d60'})
          .bindTooltip(`${r.ref} ${CAT[r.category]}`).on('click', () => select(r.ref))
          .addTo(markers));
      return data.cursor;
    }

    async function incidents() {
      const q = ACTIVE.map(s => 'status=' + s).join('&');
      const data = await api('GET', '/v1/operator/incidents?' + q);
      document.getElementById('incidents').replaceChildren(...data.incidents.map(i => el('li',
        {class: i.needs_attention ? 'attention' : null},
        i.needs_attention ? el('span', {class: 'badge silent', title: M.needs_attention}, '⚠') : null,
        el('a', {href: '/console/incidents/' + i.number}, i.number), ' ',
        CAT[i.category], ' · P', i.priority, ' · ', ST[i.status] || i.status)));
    }

    async function select(ref) {
      selected = ref;
      const d = await api('GET', '/v1/operator/reports/' + ref), r = d.report;
      if (r.lat !== null) map.setView([r.lat, r.lon], 13);
      const actions = [];
      if (S.canTriage && r.status === 'received') {
        actions.push(el('button', {id: 'confirm', onclick: async () => {
          const inc = await api('POST', `/v1/operator/reports/${ref}/confirm`, {});
          location.href = '/console/incidents/' + inc.number;
        }}, M.confirm));
        const reason = el('select', {id: 'reason'}, ['prank', 'test', 'invalid'].map(
          x => el('option', {value: x}, M['reason_' + x])));
        actions.push(reason, el('button', {id: 'reject', onclick: async () => {
          await api('POST', `/v1/operator/reports/${ref}/reject`, {reason: reason.value});
          detail.replaceChildren(); refresh();
        }}, M.reject));
      }
      const dupes = d.duplicates.map(s => el('li', {}, reportLine(s.report),
        el('span', {class: 'muted'}, ` · ${M.distance} ${Math.round(s.distance_m)} m`),
        S.canTriage && s.report.incident && r.status !== 'merged' ? el('button', {class: 'merge',
          onclick: async () => {
            const inc = await api('POST', `/v1/operator/reports/${ref}/merge`,
              {incident: s.report.incident});
            location.href = '/console/incidents/' + inc.number;
          }}, `${M.merge} → ${s.report.incident}`) : null));
      detail.replaceChildren(el('h3', {}, r.ref, ' · ', ST[r.status] || r.status),
        el('div', {}, reportLine(r)), el('div', {class: 'actions'}, actions),
        el('h4', {}, M.likely_duplicates), el('ul', {}, dupes),
        el('h4', {}, M.reporter_history),
        el('ul', {}, d.reporter_history.map(h => el('li', {}, reportLine(h)))));
      refresh();
    }

    const cursor = await refresh();
    incidents();
    const live = document.getElementById('live');
    const feed = new EventSource('/v1/operator/feed?cursor=' + encodeURIComponent(cursor));
    let pending = null;
    feed.addEventListener('change', () => {
      clearTimeout(pending);
      pending = setTimeout(() => { refresh(); incidents(); }, 100);
    });
    feed.onopen = () => live.classList.add('on');
    feed.onerror = () => live.classList.remove('on');

    const form = document.getElementById('call-form');
    if (form) form.addEventListener('submit', async ev => {
      ev.preventDefault();
      const f = new FormData(form), num = v => v === '' ? null : Number(v);
      await api('POST', '/v1/operator/reports', {category: f.get('category'),
        note: f.get('note'), caller_phone: f.get('caller_phone') || null,
        lat: num(f.get('lat')), lon: num(f.get('lon'))});
      form.reset();
      refresh();
    });
  }

  async function incident(number) {
    const node = document.getElementById('map');
    if (node.dataset.lat) {
      const map = makeMap('map'), at = [Number(node.dataset.lat), Number(node.dataset.lon)];
      map.setView(at, 12);
      L.circleMarker(at, {radius: 10, color: '#b00'}).addTo(map);
    }
    document.querySelectorAll('button.dispatch').forEach(b => b.addEventListener('click',
      async () => {
        await api('POST', `/v1/operator/incidents/${number}/dispatch`,
          {units: [Number(b.dataset.unit)]});
        location.reload();
      }));
    const note = document.getElementById('note-form');
    if (note) note.addEventListener('submit', async ev => {
      ev.preventDefault();
      await api('POST', `/v1/operator/incidents/${number}/notes`,
        {text: new FormData(note).get('text')});
      location.reload();
    });
    document.querySelectorAll('button.move').forEach(b => b.addEventListener('click',
      async () => {
        await api('POST', `/v1/operator/incidents/${number}/status`, {status: b.dataset.to});
        location.reload();
      }));
  }

  function units() {
    document.querySelectorAll('button.toggle').forEach(b => b.addEventListener('click',
      async () => {
        await api('POST', `/v1/operator/units/${b.dataset.unit}/duty`,
          {on_duty: b.dataset.on === 'true'});
        location.reload();
      }));
  }

  return {inbox, incident, units};
})();
