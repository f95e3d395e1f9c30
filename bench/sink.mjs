// The bench's upstream: a minimal smtp-server in its own process (forked by bench/relay.mjs with
// IPC), so its CPU does not share the bench client's event loop. It counts distinct
// X-Bench-Seq values and tells the parent the moment it has all of them.
import { SMTPServer } from 'smtp-server';

const SEQ_RE = /\r\nX-Bench-Seq: (\d+)\r\n/;
let target = Infinity;
let seen = new Uint8Array(0);
let distinct = 0;
let duplicates = 0;
let unparsed = 0;
let doneSent = false;

function record(seq) {
  if (seq === null || seq >= seen.length) return void unparsed++;
  if (seen[seq]) return void duplicates++;
  seen[seq] = 1;
  distinct++;
  if (distinct >= target && !doneSent) {
    doneSent = true;
    process.send({ type: 'done', at: Date.now(), distinct, duplicates, unparsed });
  }
}

const server = new SMTPServer({
  disableReverseLookup: true,
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  hideENHANCEDSTATUSCODES: true,
  logger: false,
  maxClients: 1_000,
  onData(stream, _session, cb) {
    // Only the head is kept: the sequence header sits among the first headers.
    let head = '';
    let seq = null;
    stream.on('data', (chunk) => {
      if (seq !== null || head.length > 8_192) return;
      head += chunk.toString('latin1');
      const m = SEQ_RE.exec(head);
      if (m) seq = Number(m[1]);
    });
    stream.on('end', () => {
      record(seq);
      cb(null, 'Ok');
    });
  },
});
server.on('error', () => undefined); // a client reset is not the sink's business

process.on('message', (msg) => {
  if (msg.type === 'target') {
    target = msg.n;
    seen = new Uint8Array(msg.n);
  } else if (msg.type === 'stats') {
    process.send({ type: 'stats', distinct, duplicates, unparsed, cpu: process.cpuUsage() });
  } else if (msg.type === 'exit') {
    process.exit(0);
  }
});
// If the bench dies, its IPC channel closes: do not outlive it.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.server.address().port }));
