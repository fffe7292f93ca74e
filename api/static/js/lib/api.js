// Shared console helpers: the page's config, the operator API, DOM building with text only.
// User text reaches the page through el()/textContent, never as HTML.

const configNode = document.getElementById('siaga-config');

/** The page's JSON config (strings from the gettext catalogues, settings, permissions). */
export const config = configNode ? JSON.parse(configNode.textContent) : {};
const catalogue = config.catalogue || {messages: {}, status: {}, categories: {}};

/** A console string by key (falls back to the key, so a missing one shows, not breaks). */
export const t = key => catalogue.messages[key] ?? key;
/** A report, incident or dispatch status as the operator reads it. */
export const statusLabel = code => catalogue.status[code] ?? code;
/** A category label in the operator's language. */
export const categoryLabel = code => catalogue.categories[code] ?? code;

const csrfMeta = document.querySelector('meta[name=csrf-token]');
const csrf = csrfMeta ? csrfMeta.content : '';

/** An error answer from the API: {status, code, message, details}. */
export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || t('request_failed'));
    this.status = status;
    this.code = err.code || 'http_' + status;
    this.details = err.details || {};
  }
}

/**
 * Call the operator API. Throws ApiError on a non-2xx answer; unless `quiet`, the operator
 * is told (alert) first, as the console always did.
 */
export async function api(method, path, body, {quiet = false} = {}) {
  const r = await fetch(path, {method, credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
    body: body === undefined ? undefined : JSON.stringify(body)});
  let data = null;
  if (r.status !== 204) {
    try { data = await r.json(); } catch (e) { data = null; }
  }
  if (!r.ok) {
    const error = new ApiError(r.status, data);
    if (!quiet) alert(error.message);
    throw error;
  }
  return data;
}

/**
 * Build an element: el('li', {class: 'x', onclick: fn}, 'text', child, [more]).
 * Attributes starting with "on" become listeners; strings become text nodes.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false)
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const wibFormat = new Intl.DateTimeFormat('id-ID', {timeZone: 'Asia/Jakarta', day: '2-digit',
  month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit'});

/** An ISO time as Jakarta wall time, e.g. "29/11/2026 12.41 WIB". */
export const wib = iso => wibFormat.format(new Date(iso)) + ' WIB';

/** A rough duration: "45 s", "12 min", "1.5 h". */
export function waited(seconds) {
  if (seconds < 90) return Math.round(seconds) + ' s';
  if (seconds < 5400) return Math.round(seconds / 60) + ' min';
  return (seconds / 3600).toFixed(1) + ' h';
}

/** A running clock: "0:42", "12:05", "1:02:33". */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds)), h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60), pad = n => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
