// Building DOM nodes without HTML strings. Everything the API returns is treated as text:
// children that are strings become text nodes, attribute values go through setAttribute, and
// links only take relative or hash targets. There is no innerHTML anywhere in the dashboard.

/**
 * h('a', { href: '#/x', class: 'c', onclick: fn }, 'text', child, [more, children])
 * Attribute values null/undefined/false are skipped; true sets an empty attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'href' || name === 'src' || name === 'action') {
      el.setAttribute(name, safeUrl(String(value)));
    } else if (name === 'dataset') {
      for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Like h(), for SVG elements (charts, icons). Attribute values are set as text; no event handlers. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'dataset') for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** Appends strings (as text), numbers, nodes and nested arrays; skips null/undefined/false. */
export function append(parent, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (c instanceof Node) parent.appendChild(c);
    else parent.appendChild(document.createTextNode(String(c)));
  }
  return parent;
}

/** Replaces every child of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** Only same-origin relative paths and in-page hashes; anything else (javascript:, data:, http:) becomes '#'. */
export function safeUrl(url) {
  if (url.startsWith('#') || url.startsWith('./') || (url.startsWith('/') && !url.startsWith('//'))) return url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//')) return '#';
  return url;
}

/** Text for screen readers only. */
export const srOnly = (text) => h('span', { class: 'sr-only' }, text);
