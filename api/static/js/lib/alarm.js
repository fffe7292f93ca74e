// New-SOS alerting for a console left open at 3 a.m.: a beep generated with Web Audio (no
// file, no CDN) that the operator can mute (remembered in localStorage), the count of waiting
// reports in the title and the favicon, and an optional browser notification.
// window.siagaAlarm exposes counters so tests can see what happened.
import {t} from './api.js';

const MUTE_KEY = 'siaga.sound.muted';
const state = window.siagaAlarm = {requested: 0, played: 0, notified: 0, badge: 0,
  muted: localStorage.getItem(MUTE_KEY) === '1', blocked: false};
let audio = null;

function context() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!audio && Ctx) audio = new Ctx();
  return audio;
}

// Browsers start audio only after a gesture on the page: any click unlocks it.
document.addEventListener('pointerdown', () => {
  const ctx = context();
  if (ctx && ctx.state === 'suspended') ctx.resume();
  state.blocked = false;
  const hint = document.getElementById('sound-blocked');
  if (hint) hint.hidden = true;
}, {capture: true});

/** Beep: three high tones for a silent SOS or a reminder, two for an ordinary new report. */
export function beep({urgent = false} = {}) {
  state.requested += 1;
  if (state.muted) return false;
  state.played += 1;
  const ctx = context();
  if (!ctx) return false;
  if (ctx.state === 'suspended') {
    ctx.resume().catch(() => {});
    state.blocked = true;
    const hint = document.getElementById('sound-blocked');
    if (hint) hint.hidden = false;
  }
  const tones = urgent ? [[988, 0], [988, 0.25], [988, 0.5]] : [[740, 0], [880, 0.22]];
  for (const [freq, at] of tones) {
    const osc = ctx.createOscillator(), gain = ctx.createGain(), start = ctx.currentTime + at;
    osc.type = 'square';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + 0.2);
  }
  return true;
}

export const isMuted = () => state.muted;

export function setMuted(muted) {
  state.muted = muted;
  localStorage.setItem(MUTE_KEY, muted ? '1' : '0');
}

/** Wire a toggle button (aria-pressed = muted). */
export function muteToggle(button) {
  const show = () => {
    button.setAttribute('aria-pressed', String(state.muted));
    button.textContent = state.muted ? t('sound_off') : t('sound_on');
    button.classList.toggle('muted', state.muted);
  };
  button.addEventListener('click', () => { setMuted(!state.muted); show(); });
  show();
}

const baseTitle = document.title;
let icon = null;

function favicon(count) {
  const link = document.getElementById('favicon');
  if (!link) return;
  if (!icon) icon = link.getAttribute('href');
  if (!count) { link.setAttribute('href', icon); return; }
  const size = 64, canvas = document.createElement('canvas');
  canvas.width = canvas.height = size;
  const g = canvas.getContext('2d');
  g.fillStyle = '#8b0000';
  g.fillRect(0, 0, size, size);
  g.fillStyle = '#ffd400';
  g.beginPath();
  g.arc(size / 2, size / 2, size / 2 - 2, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = '#000';
  g.font = `bold ${count > 99 ? 24 : 36}px sans-serif`;
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(count > 99 ? '99+' : String(count), size / 2, size / 2 + 2);
  link.setAttribute('href', canvas.toDataURL('image/png'));
}

/** Show `count` waiting reports in the tab title and favicon (0 clears them). */
export function badge(count) {
  state.badge = count;
  document.title = count ? `(${count}) ${baseTitle}` : baseTitle;
  favicon(count);
}

/** Offer the notification permission prompt on `button` (a click asks; never unprompted). */
export function notificationButton(button) {
  if (!('Notification' in window) || Notification.permission !== 'default') return;
  button.hidden = false;
  button.addEventListener('click', async () => {
    await Notification.requestPermission();
    button.hidden = Notification.permission === 'default';
  });
}

/** A browser notification (plain text) when allowed and the console is not in view. */
export function notify(title, body, tag) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  if (!document.hidden) return;
  state.notified += 1;
  const n = new Notification(title, {body, tag, renotify: true, requireInteraction: true});
  n.onclick = () => { window.focus(); n.close(); };
}
