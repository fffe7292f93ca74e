// Form helpers for the admin, audit and history pages: values, messages, WIB dates.
import {api, t} from './api.js';

/** A form's fields as an object; empty fields are left out. */
export function values(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) if (String(v).trim() !== '') out[k] = String(v).trim();
  return out;
}

/** Tell the admin what happened (text only) in the page's #flash line. */
export function flash(text, error = false) {
  const node = document.getElementById('flash');
  if (!node) return;
  node.textContent = text;
  node.className = 'flash' + (error ? ' error' : '');
}

/** Call the API; a refusal is shown in #flash (known codes in the admin's language). */
export async function send(method, path, body) {
  try {
    const result = await api(method, path, body, {quiet: true});
    flash(t('saved'));
    return result;
  } catch (e) {
    const known = {last_admin: 1, unit_on_dispatch: 1, username_taken: 1};
    const fields = Object.keys(e.details || {});
    flash(known[e.code] ? t(e.code) : e.code === 'validation_error'
      ? `${t('check_input')} (${fields.join(', ')})` : e.message, true);
    throw e;
  }
}

/** A WIB calendar day (YYYY-MM-DD from <input type=date>) as the API's UTC bounds. */
export const wibStart = day => `${day}T00:00:00+07:00`;
export function wibEndExclusive(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return `${d.toISOString().slice(0, 10)}T00:00:00+07:00`;
}

/** Query string from an object (skips empty values). */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.append(k, v);
  return q.toString();
}
