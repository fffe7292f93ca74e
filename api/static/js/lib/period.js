// Date-range inputs of the monitoring pages: days in WIB, the end date inclusive.
const DAY = 86400000;
const wibDate = ms => new Date(ms + 7 * 3600000).toISOString().slice(0, 10);

/** Fill empty start/end date inputs with the 30 days up to today (WIB). */
export function defaultPeriod(form) {
  const today = Date.now();
  if (!form.elements.start.value) form.elements.start.value = wibDate(today - 29 * DAY);
  if (!form.elements.end.value) form.elements.end.value = wibDate(today);
}

/** The form's range as API query parameters: [start 00:00 WIB, the day after end). */
export function periodQuery(form) {
  const start = form.elements.start.value, end = form.elements.end.value;
  const after = wibDate(Date.parse(end + 'T00:00:00+07:00') + DAY);
  const q = new URLSearchParams();
  q.set('start', start + 'T00:00:00+07:00');
  q.set('end', after + 'T00:00:00+07:00');
  return q;
}

/** "%(name)s" placeholders filled from values. */
export const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, k) => String(values[k] ?? ''));
