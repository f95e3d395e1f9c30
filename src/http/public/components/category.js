// The category badge beside an address: the category's icon and name, and on hover or keyboard
// focus a tooltip with why it happens and what to do (the same text the recipient page shows).
import { get } from '../lib/api.js';
import { infoFor, learn } from '../lib/categories.js';
import { CATEGORY_STYLE, styleOf } from '../lib/category-style.js';
import { h, svg } from '../lib/dom.js';
import { recipientHref } from '../lib/router.js';

let seq = 0;

export function categoryIcon(category) {
  return svg('svg', { class: 'cat-icon', viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true', focusable: 'false' },
    svg('path', { d: styleOf(category).icon }));
}

function place(badge, tip) {
  const r = badge.getBoundingClientRect();
  const width = Math.min(360, window.innerWidth - 16);
  tip.style.width = `${width}px`;
  tip.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - width - 8))}px`;
  const height = tip.offsetHeight;
  tip.style.top = `${r.bottom + 6 + height > window.innerHeight && r.top - height - 6 > 0 ? r.top - height - 6 : r.bottom + 6}px`;
}

/** A badge for one of the six categories (null: nothing). `detail` (a reason code) goes into the tooltip. */
export function categoryBadge(category, detail) {
  if (!category) return null;
  const info = infoFor(category);
  const id = `cat-tip-${++seq}`;
  const tip = h('span', { class: 'cat-tip', role: 'tooltip', id, hidden: true },
    h('span', {}, h('strong', {}, category), detail ? ` (${detail})` : null),
    info ? h('span', { class: 'why' }, h('b', {}, 'Why: '), info.why) : null,
    info ? h('span', { class: 'todo' }, h('b', {}, 'What to do: '), info.todo) : null);
  const badge = h('span', {
    class: `cat-badge cat-${styleOf(category).slug}`, tabindex: '0', 'aria-describedby': id, dataset: { category },
  }, categoryIcon(category), h('span', { class: 'cat-name' }, category));
  const show = () => {
    tip.hidden = false;
    place(badge, tip);
  };
  const hide = () => {
    tip.hidden = true;
  };
  badge.addEventListener('mouseenter', show);
  badge.addEventListener('focus', show);
  badge.addEventListener('mouseleave', () => document.activeElement !== badge && hide());
  badge.addEventListener('blur', hide);
  badge.addEventListener('keydown', (e) => e.key === 'Escape' && hide());
  return h('span', { class: 'cat' }, badge, tip);
}

/** The six categories as a legend: icon, swatch in the chart's pattern, name. */
export function categoryLegend(categories = Object.keys(CATEGORY_STYLE), swatch) {
  return h('ul', { class: 'legend', 'aria-label': 'Categories' },
    categories.map((c) => h('li', {}, swatch ? swatch(c) : null, categoryIcon(c), ' ', c)));
}

/** An address link that fillCategories() gives its badge, for lists whose answer carries no category. */
export function addressLink(email) {
  return h('span', { class: 'addr', dataset: { addr: email } }, h('a', { href: recipientHref(email) }, email));
}

/** Looks up the category of every addressLink under `root` (100 addresses a request) and adds the badges. */
export async function fillCategories(root) {
  const spans = [...root.querySelectorAll('span.addr[data-addr]:not([data-filled])')];
  const emails = [...new Set(spans.map((s) => s.dataset.addr))];
  if (!emails.length) return;
  await learn();
  const by = new Map();
  for (let i = 0; i < emails.length && i < 1000; i += 100) {
    const r = await get('recipients', { emails: emails.slice(i, i + 100).join(','), limit: 1000 });
    for (const rec of r.recipients) by.set(rec.email.toLowerCase(), rec);
  }
  for (const s of spans) {
    s.dataset.filled = 'true';
    const rec = by.get(s.dataset.addr.toLowerCase());
    if (rec?.category) s.append(' ', categoryBadge(rec.category, rec.reason));
  }
}
