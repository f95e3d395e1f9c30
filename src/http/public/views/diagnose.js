// The diagnosis panel: what looks wrong and where to look, from recent events and flags.
import { get } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { addressLink, fillCategories } from '../components/category.js';
import { errorBox, loading, note } from '../components/notice.js';
import { AGES, sincePicker } from '../components/since.js';
import { timeEl } from '../components/time.js';

const SEVERITY = { critical: 'Critical', warning: 'Warning', info: 'Info' };

function evidenceItem(ev) {
  return h('li', {},
    ev.time ? [timeEl(ev.time), ' '] : null,
    ev.count ? `${ev.count}× ` : null,
    h('span', { class: 'reply' }, ev.text),
    ev.rcpt ? [' — ', addressLink(ev.rcpt)] : null,
    ev.queueId ? [' ', h('code', {}, ev.queueId)] : null);
}

function findingCard(f) {
  return h('article', { class: `card finding severity-${SEVERITY[f.severity] ? f.severity : 'info'}`, dataset: { rule: f.rule } },
    h('h2', {}, h('span', { class: `chip chip-${f.severity}` }, SEVERITY[f.severity] ?? f.severity), ' ', f.title),
    h('p', {}, f.summary),
    h('p', { class: 'next-step' }, h('strong', {}, 'Next step: '), f.nextStep),
    f.evidence?.length ? h('details', {}, h('summary', {}, `Evidence (${f.evidence.length})`), h('ul', { class: 'evidence' }, f.evidence.map(evidenceItem))) : null);
}

export async function render(root, route) {
  const win = sincePicker(route, { name: 'window', label: 'Look back', options: AGES });
  const body = h('div', {}, loading('Diagnosing…'));
  replace(root, h('h1', { tabindex: '-1' }, 'Diagnosis'), win.el, body);
  try {
    const r = await get('diagnose', { window: win.value });
    replace(body, r.findings.length
      ? [h('p', { class: 'summary', role: 'status' }, `${r.findings.length} ${r.findings.length === 1 ? 'finding' : 'findings'}.`), r.findings.map(findingCard)]
      : note('Nothing looks wrong in this window.'));
    await fillCategories(body).catch(() => undefined);
  } catch (err) {
    replace(body, err.status === 501 ? note('Diagnosis is not enabled on this server.') : errorBox(err, 'Could not diagnose'));
  }
}
