// Hash routes: "#/activity?status=bounced", "#/recipient/a%40b.example". The hash keeps every
// view linkable and the back button working without any server-side route.

/** { name, params: [decoded path parts], query: URLSearchParams } of the current location. */
export function currentRoute(hash = location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const [path, qs = ''] = raw.split('?', 2);
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { name: parts[0] || 'overview', params: parts.slice(1), query: new URLSearchParams(qs) };
}

/** "#/name/part?k=v", skipping empty query values. */
export function href(name, params = [], query = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return `#/${[name, ...params.map((p) => encodeURIComponent(p))].join('/')}${s ? `?${s}` : ''}`;
}

export const recipientHref = (email) => href('recipient', [email]);

export function go(to) {
  if (location.hash === to) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = to;
}
