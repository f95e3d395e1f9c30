// The invalid-email icon on a flagged recipient: its reason and category with the category's
// "why" and "what to do", as a tooltip on hover and as a popover on click (keyboard too).
import { h } from '../lib/dom.js';
import { recipientHref } from '../lib/router.js';

let open = null;

/** Fixed position under the button (a table's scroll box would clip an absolute one), kept inside the viewport. */
function place(button, panel) {
  const r = button.getBoundingClientRect();
  const width = Math.min(416, window.innerWidth - 16);
  panel.style.width = `${width}px`;
  panel.style.left = `${Math.max(8, Math.min(r.left - 16, window.innerWidth - width - 8))}px`;
  const below = r.bottom + 6;
  const height = panel.offsetHeight;
  panel.style.top = `${below + height > window.innerHeight && r.top - height - 6 > 0 ? r.top - height - 6 : below}px`;
}

function closeOpen() {
  if (!open) return;
  open.button.setAttribute('aria-expanded', 'false');
  open.panel.hidden = true;
  open = null;
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && open) {
    const { button } = open;
    closeOpen();
    button.focus();
  }
});
document.addEventListener('click', (e) => {
  if (open && !open.wrap.contains(e.target)) closeOpen();
});
window.addEventListener('resize', () => closeOpen());
document.addEventListener('scroll', () => open && place(open.button, open.panel), true);

let seq = 0;

/**
 * record: { email, reason, category } (a RecipientRecord); info: { why, todo } or null.
 * Returns an inline element: the icon button and its (hidden) popover.
 */
export function invalidFlag(record, info) {
  const id = `flag-pop-${++seq}`;
  const what = `Invalid email${record.reason ? ` (${record.reason})` : ''}`;
  const tip = [what, record.category ? `Category: ${record.category}` : null, info ? `Why: ${info.why}` : null, info ? `What to do: ${info.todo}` : null]
    .filter(Boolean)
    .join('\n');
  const panel = h('div', { class: 'popover', id, role: 'dialog', 'aria-label': `Why ${record.email} is flagged`, hidden: true },
    h('p', { class: 'popover-title' }, what),
    record.category ? h('p', {}, h('strong', {}, 'Category: '), record.category) : null,
    info ? h('p', { class: 'why' }, h('strong', {}, 'Why: '), info.why) : null,
    info ? h('p', { class: 'todo' }, h('strong', {}, 'What to do: '), info.todo) : null,
    h('p', {}, h('a', { href: recipientHref(record.email) }, 'Open recipient')));
  const button = h('button', {
    type: 'button', class: 'flag-icon', title: tip, 'aria-label': `${what}: show why and what to do`, 'aria-expanded': 'false', 'aria-controls': id,
    dataset: { flag: record.email },
  }, '⚠');
  const wrap = h('span', { class: 'flag' }, button, panel);
  button.addEventListener('click', (e) => {
    e.stopPropagation();
    const wasOpen = open && open.button === button;
    closeOpen();
    if (wasOpen) return;
    panel.hidden = false;
    place(button, panel);
    button.setAttribute('aria-expanded', 'true');
    open = { button, panel, wrap };
  });
  return wrap;
}
