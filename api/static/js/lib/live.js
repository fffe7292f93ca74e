// The live feed (/v1/operator/feed, server-sent events): one EventSource per page.
/**
 * Follow the feed from `cursor` and call onChange(changes) after each burst of changes
 * (debounced, so twenty changes in one commit cause one refresh). `indicator` gets the class
 * "on" while connected. Returns the EventSource.
 */
export function follow({cursor, onChange, indicator = null, debounceMs = 100}) {
  const url = '/v1/operator/feed' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : '');
  const feed = new EventSource(url);
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
