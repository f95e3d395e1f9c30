import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

// Exim (and other MTAs) write the final "." and QUIT together and then shut their sending side
// (a TCP half-close). Node's default then ends our side too, before the message is processed,
// so its 250 is never sent and the client sends the message again. The listeners therefore keep
// half-open sockets (`allowHalfOpen`), and this closes our side once the client has sent
// everything and every command of it has been answered, as Postfix and Exim do. smtp-server
// writes a reply only while the socket's readyState is 'open', and a half-closed socket reads
// 'writeOnly': while a reply is sent to such a socket it reads 'open'. Applied once, process-wide,
// on import.
const PATCHED = Symbol.for('rebound.halfClose');

interface Parser {
  once(event: 'finish', fn: () => void): void;
}
interface Connection {
  _socket: import('node:net').Socket;
  send(code: number, data: unknown, context?: unknown): void;
  _parser: Parser | false;
  _closing: boolean;
  _closed: boolean;
  _createParser(): Parser;
  close(): void;
  [PATCHED]?: boolean;
}

const proto = (SMTPConnection as unknown as { prototype: Connection }).prototype;
if (!proto[PATCHED]) {
  const original = proto._createParser;
  proto._createParser = function createParser(this: Connection) {
    const parser = original.call(this);
    // 'finish': the client's input ended and the parser has called back for all of it, which it
    // does only after each command's reply (after DATA: after the 250 of the message).
    parser.once('finish', () => {
      // A line without CRLF before the FIN is run on 'finish' too: give its reply a turn.
      setImmediate(() => {
        if (this._parser === parser && !this._closing && !this._closed) this.close();
      });
    });
    return parser;
  };
  const send = proto.send;
  proto.send = function sendToHalfClosed(this: Connection, code: number, data: unknown, context?: unknown) {
    const sock = this._socket;
    if (!sock || sock.destroyed || !sock.writable || sock.readyState !== 'writeOnly') return send.call(this, code, data, context);
    Object.defineProperty(sock, 'readyState', { value: 'open', configurable: true });
    try {
      send.call(this, code, data, context);
    } finally {
      delete (sock as { readyState?: string }).readyState;
    }
  };
  proto[PATCHED] = true;
}

/** Server options that keep a half-closed client's connection open until it has been answered. */
export const SERVE_HALF_CLOSED = { allowHalfOpen: true } as const;
