// Why/what-to-do text per category. The API hands it out with a recipient
// (GET /api/recipients/{email} -> info), so one recipient per category is enough to learn it.
import { enc, get } from './api.js';

const byCategory = new Map();

export const infoFor = (category) => byCategory.get(category) ?? null;

export function remember(info) {
  if (info && info.category) byCategory.set(info.category, info);
}

/** Makes sure the info for each recipient's category is known, fetching one recipient per missing category. */
export async function learn(records) {
  const need = new Map();
  for (const r of records) if (r.category && !byCategory.has(r.category) && !need.has(r.category)) need.set(r.category, r.email);
  await Promise.all([...need.values()].map((email) => get(`recipients/${enc(email)}`).then((v) => remember(v.info)).catch(() => undefined)));
}
