// The per-recipient outcome icon: a symbol and a colour, always with a text equivalent.
import { h } from '../lib/dom.js';

const OUTCOMES = {
  delivered: { symbol: '✓', label: 'delivered' },
  deferred: { symbol: '↻', label: 'deferred, will retry' },
  bounced: { symbol: '✕', label: 'bounced' },
  expired: { symbol: '⌛', label: 'expired, gave up retrying' },
  queued: { symbol: '…', label: 'queued' },
};

/** An icon for a recipient status; `detail` (the last reply) goes into the tooltip. */
export function outcomeIcon(status, detail) {
  const o = OUTCOMES[status] ?? { symbol: '?', label: String(status) };
  const tip = detail ? `${o.label}: ${detail}` : o.label;
  return h('span', { class: `outcome outcome-${OUTCOMES[status] ? status : 'unknown'}`, role: 'img', 'aria-label': o.label, title: tip }, o.symbol);
}

/** A small labelled status chip for tables ("bounced"). */
export function statusChip(status) {
  return h('span', { class: `chip chip-${OUTCOMES[status] ? status : 'unknown'}` }, String(status ?? '—'));
}
