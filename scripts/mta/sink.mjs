// A small SMTP server on loopback that keeps every message it is given: the return path where
// real MTAs deliver their DSNs, or a next hop that just accepts.
import { SMTPServer } from 'smtp-server';

/**
 * Starts the sink. `onRcpt(address)` may return an SMTP reply string ("550 5.1.1 ...") to refuse a
 * recipient. Returns { port, messages: [{ from, to, raw }], waitFor(pred, timeoutMs), stop() }.
 */
export async function startSink({ port = 0, onRcpt = null } = {}) {
  const messages = [];
  let waiters = [];
  const server = new SMTPServer({
    disableReverseLookup: true,
    authOptional: true,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: false,
    logger: false,
    size: 50 * 1024 * 1024,
    onRcptTo(addr, _session, cb) {
      const reply = onRcpt?.(addr.address);
      if (!reply) return cb();
      const m = /^(\d{3}) (.*)$/s.exec(reply);
      const err = new Error(m ? m[2] : reply);
      err.responseCode = m ? Number(m[1]) : 550;
      cb(err);
    },
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        const msg = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) };
        messages.push(msg);
        waiters = waiters.filter((w) => (w.pred(msg) ? (w.resolve(msg), false) : true));
        cb();
      });
    },
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: server.server.address().port,
    messages,
    /** Resolves with the first message (already here or still to come) for which pred is true; rejects after timeoutMs. */
    waitFor(pred, timeoutMs = 30_000) {
      const have = messages.find(pred);
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (m) => { clearTimeout(timer); resolve(m); } };
        const timer = setTimeout(() => { waiters = waiters.filter((x) => x !== w); reject(new Error(`sink: no matching message within ${timeoutMs} ms (${messages.length} received)`)); }, timeoutMs);
        waiters.push(w);
      });
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
