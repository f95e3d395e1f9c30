// Why/what-to-do text per category, loaded once from GET /api/categories.
import { get } from './api.js';

const byCategory = new Map();

export const infoFor = (category) => byCategory.get(category) ?? null;

export function remember(info) {
  if (info && info.category) byCategory.set(info.category, info);
}

let loading = null;

/** Loads the six categories' texts once (later calls reuse the first request). */
export function learn() {
  loading ??= get('categories').then((v) => v.categories.forEach(remember)).catch(() => {
    loading = null;
  });
  return loading;
}
