// One-click copy (caller's phone numbers): navigator.clipboard, else a hidden textarea.
import {el, t} from './api.js';

/** Copy `text` to the clipboard; resolves true when it worked. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) { /* fallback */ }
  }
  const area = el('textarea', {readonly: true, class: 'offscreen', 'aria-hidden': 'true'});
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
  area.remove();
  return ok;
}

/** A phone number with a copy button (its clicks do not reach the row). No tel: link: on a
 *  console PC it only opens an "external application" prompt. */
export function phoneWithCopy(number) {
  return el('span', {class: 'phone'}, el('span', {class: 'number'}, '☎ ' + number),
    el('button', {type: 'button', class: 'copy', 'data-copy': number, title: t('copy_phone')},
      t('copy')));
}

/** Handle every button.copy[data-copy] on the page, present or future. */
export function installCopyButtons(root = document) {
  root.addEventListener('click', async ev => {
    const button = ev.target.closest('button.copy[data-copy]');
    if (!button) return;
    ev.preventDefault();
    ev.stopPropagation();
    const ok = await copyText(button.dataset.copy);
    button.textContent = ok ? t('copied') : t('copy_failed');
    button.classList.toggle('done', ok);
    setTimeout(() => { button.textContent = t('copy'); button.classList.remove('done'); }, 1500);
  }, true);
}
