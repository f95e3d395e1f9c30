import type { Dialect } from './dialect.js';
import { textIncludes } from './dialect.js';

/** Gmail's "Delivery Status Notification (Failure|Delay)" in its plain-text form. */
export const gmail: Dialect = {
  name: 'Gmail',
  detect: (m) =>
    /mailer-daemon@(googlemail|gmail)\.com/i.test(m.from) && !/groups\.google|googlegroups/i.test(m.headers['x-failed-recipients'] ?? '') ||
    textIncludes(m, ['technical details of permanent failure', 'technical details of temporary failure', 'delivery to the following recipient failed permanently',
      'delivery to the following recipients failed permanently', 'delivery to the following recipient has been delayed', 'delivery to the following recipients has been delayed']),
  adjust: (d, m) => {
    // Gmail's own sentences: it gave up on an unreachable MX or DNS (an expiry), or the domain
    // has no DNS at all.
    if (!d.reason && /did not accept our requests to connect|dns error: could not contact dns servers/i.test(d.diagnostic ?? '')) return { ...d, reason: 'expired' };
    if (!d.reason && !d.temporary && /dns error: (?:domain name not found|dns server returned answer with no data)/i.test(d.diagnostic ?? '')) return { ...d, reason: 'hostunknown' };
    if (/delay/i.test(m.subject) || /warning message only|has been delayed|will be retried/i.test(m.text.slice(0, 4096))) {
      return { ...d, temporary: true, delayed: true, reason: d.reason ?? (/recipient server did not accept our requests to connect|dns|timed out/i.test(d.diagnostic ?? '') ? 'expired' : undefined) };
    }
    return d;
  },
};

/** Google Groups posting refusals (group does not exist or does not accept the sender). */
export const googlegroups: Dialect = {
  name: 'GoogleGroups',
  detect: (m) =>
    /mailer-daemon@(googlemail|gmail)\.com/i.test(m.from) && /googlegroups\.com|groups\.google/i.test((m.headers['x-failed-recipients'] ?? '') + m.text.slice(0, 8192)),
  parse: (m) => {
    const rcpts = (m.headers['x-failed-recipients'] ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.includes('@'));
    return rcpts.map((rcpt) => ({ rcpt, reason: 'rejected', diagnostic: m.text.slice(0, 2000).split(/\n-{3,}/)[0] ?? '' }));
  },
};
