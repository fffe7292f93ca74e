// Place names (contract: the `place` object on reports and incidents) and the desa search.
import {api, el, t} from './api.js';

/** The text for a place: its label, "outside the regency" or "no location". */
export function placeText(place, hasLocation = true) {
  if (!place) return hasLocation ? null : t('no_location');
  if (place.outside) return t('outside_regency');
  return place.label || t('no_location');
}

/** A <span class="place"> for a report or incident (null when nothing is known). */
export function placeBadge(place, hasLocation = true) {
  const text = placeText(place, hasLocation);
  if (text === null) return null;
  const kind = !place || (!place.label && !place.outside) ? ' none'
    : place.outside ? ' outside' : '';
  return el('span', {class: 'place' + kind}, text);
}

/** Desa/kelurahan (and kecamatan) matching `q`, typo-tolerant; [] if search is unavailable. */
export async function searchPlaces(q, limit = 8) {
  try {
    const data = await api('GET', '/v1/operator/places/search?q=' + encodeURIComponent(q) +
      '&limit=' + limit, undefined, {quiet: true});
    return data.places || [];
  } catch (e) {
    return [];
  }
}

/**
 * A combobox on `input`: suggestions in `listbox` as the operator types; onPick(place) on a
 * click or Enter. Arrow keys move through the list; Escape closes it.
 */
export function placeCombobox(input, listbox, onPick) {
  let items = [], active = -1, timer = null, asked = 0;
  const close = () => {
    listbox.hidden = true; input.setAttribute('aria-expanded', 'false'); active = -1;
    input.removeAttribute('aria-activedescendant');
  };
  const mark = () => listbox.querySelectorAll('li').forEach((li, i) => {
    li.setAttribute('aria-selected', String(i === active));
    if (i === active) input.setAttribute('aria-activedescendant', li.id);
  });
  const pick = place => { close(); onPick(place); };
  const show = places => {
    items = places;
    listbox.replaceChildren(...places.map((p, i) => el('li', {role: 'option',
      id: listbox.id + '-' + i, 'data-code': p.code,
      onmousedown: ev => { ev.preventDefault(); pick(p); }},
      el('strong', {}, p.name), ' ', el('span', {class: 'muted'}, p.label || ''))));
    listbox.hidden = places.length === 0;
    input.setAttribute('aria-expanded', String(places.length > 0));
    active = places.length ? 0 : -1;
    mark();
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) { show([]); return; }
    timer = setTimeout(async () => {
      const mine = ++asked, places = await searchPlaces(q);
      if (mine === asked) show(places);  // ignore answers to older keystrokes
    }, 150);
  });
  input.addEventListener('keydown', ev => {
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      if (!items.length) return;
      ev.preventDefault();
      active = (active + (ev.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      mark();
    } else if (ev.key === 'Enter') {
      if (!listbox.hidden && items[active]) { ev.preventDefault(); pick(items[active]); }
    } else if (ev.key === 'Escape') {
      close();
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
}
