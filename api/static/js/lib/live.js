// The live feed (/v1/operator/feed, server-sent events): one EventSource per page.
import {t} from './api.js';

const POLL_MS = 10000, REOPEN_MS = 60000;

/**
 * Follow the feed from `cursor` and call onChange(changes) after each burst of changes
 * (debounced, so twenty changes in one commit cause one refresh). `indicator` gets the class
 * "on" while connected. When the feed is refused (every feed slot in use, 429, or a role
 * without the feed) the page polls every 10 s instead and tries the feed again each minute.
 */
export function follow({cursor, onChange, indicator = null, debounceMs = 100, enabled = true}) {
  let poller = null;
  const poll = () => {
    if (poller) return;
    if (indicator) indicator.title = t('not_live');
    poller = setInterval(() => onChange([null]), POLL_MS);  // null: something may have changed
  };
  if (!enabled) { poll(); return null; }
  const url = '/v1/operator/feed' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : '');
  const feed = new EventSource(url);
  feed.addEventListener('error', () => {
    if (feed.readyState !== EventSource.CLOSED) return;  // the browser reconnects by itself
    poll();
    setTimeout(() => {
      clearInterval(poller);
      poller = null;
      follow({cursor: null, onChange, indicator, debounceMs, enabled});
    }, REOPEN_MS);
  });
  feed.addEventListener('open', () => { clearInterval(poller); poller = null; });
  let pending = null, batch = [];
  feed.addEventListener('change', ev => {
    try { batch.push(JSON.parse(ev.data)); } catch (e) { batch.push(null); }
    clearTimeout(pending);
    pending = setTimeout(() => { const changes = batch; batch = []; onChange(changes); },
      debounceMs);
  });
  if (indicator) {
    feed.addEventListener('open', () => indicator.classList.add('on'));
    feed.addEventListener('error', () => indicator.classList.remove('on'));
  }
  return feed;
}
