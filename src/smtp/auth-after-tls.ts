import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

// smtp-server lists AUTH in its EHLO reply even where it will refuse AUTH with "538 Must issue a
// STARTTLS command first" (TLS offered, allowInsecureAuth off). A client that believes the list
// may send its password in the clear. This drops AUTH from the EHLO reply in exactly that case,
// so it is advertised only after STARTTLS. Applied once, process-wide, on import.
const PATCHED = Symbol.for('rebound.authAfterTls');

interface Connection {
  secure: boolean;
  _server: { options: { allowInsecureAuth?: boolean; hideSTARTTLS?: boolean } };
  _isSupported(command: string): boolean;
  send(code: number, data: unknown, context?: unknown): void;
  handler_EHLO(command: Buffer, callback: () => void): void;
  [PATCHED]?: boolean;
}

const proto = (SMTPConnection as unknown as { prototype: Connection }).prototype;
if (!proto[PATCHED]) {
  const ehlo = proto.handler_EHLO;
  proto.handler_EHLO = function handlerEhlo(this: Connection, command: Buffer, callback: () => void) {
    const o = this._server.options;
    // The same condition under which smtp-server's AUTH handler answers 538.
    const authNeedsTls = !this.secure && this._isSupported('STARTTLS') && !o.hideSTARTTLS && !o.allowInsecureAuth;
    if (!authNeedsTls) return ehlo.call(this, command, callback);
    const send = this.send;
    this.send = (code, data, context) => send.call(this, code, Array.isArray(data) ? data.filter((l) => !/^AUTH\b/i.test(String(l))) : data, context);
    // Put back before the callback: it may run the next pipelined commands right away.
    const restore = () => void delete (this as Partial<Connection>).send;
    try {
      ehlo.call(this, command, () => {
        restore();
        callback();
      });
    } finally {
      restore();
    }
  };
  proto[PATCHED] = true;
}
