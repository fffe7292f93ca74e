// How service figures read (Kinerja Layanan, Papan Pantau): durations and shares.

/** Seconds as people read them: "42 s", "3 min 20 s", "1 j 05 min"; "—" for none. */
export function duration(s) {
  if (s === null || s === undefined) return '—';
  if (s < 90) return `${Math.round(s * 10) / 10} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} j ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** A share 0–1 as "92.5 %"; "—" for none. */
export const percent = x => x === null || x === undefined ? '—' : `${Math.round(x * 1000) / 10} %`;

/** "90 % ≤ 60 s" for a figure's target, null when the measure has none. */
export const target = r => r.target_s === null || r.target_s === undefined ? null
  : `${Math.round(r.target_share * 100)} % ≤ ${r.target_s} s`;

/** "met" | "missed" | "" (no target or no observation): the compliance cell's class. */
export const verdict = r => r.met === null || r.met === undefined ? '' : r.met ? 'met' : 'missed';
