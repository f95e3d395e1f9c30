// Times and numbers as people read them.

const pad = (n) => String(n).padStart(2, '0');

/** "2024-05-01 10:00:05" in the browser's zone. */
export function dateTime(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3 min ago", "2 h ago", "in 40 s". */
export function relative(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return '';
  const diff = Math.round((now - ms) / 1000);
  const abs = Math.abs(diff);
  const [n, unit] = abs < 60 ? [abs, 's'] : abs < 3600 ? [Math.round(abs / 60), 'min'] : abs < 86400 ? [Math.round(abs / 3600), 'h'] : [Math.round(abs / 86400), 'd'];
  return diff >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

export const count = (n) => (typeof n === 'number' ? n.toLocaleString('en') : '—');

/** "3 recipients", "1 recipient". */
export const plural = (n, word, many = `${word}s`) => `${count(n)} ${n === 1 ? word : many}`;
