import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';

// smtp-server's parser resumes after a message with `continue()`, which runs the stored callback
// and then clears it. When the rest of the client's write holds another whole transaction, that
// callback reaches the next message's end synchronously and stores a new callback, which the
// clearing then wipes: the third pipelined transaction is never answered (the client waits until
// the idle timeout). Taking the callback before running it keeps the new one. Applied once,
// process-wide, on import.
const PATCHED = Symbol.for('rebound.pipelinedTransactions');

interface Continuable {
  _continueCallback: (() => void) | boolean;
  continue(): void;
  [PATCHED]?: boolean;
}

const proto = (SMTPStream as unknown as { prototype: Continuable }).prototype;
if (!proto[PATCHED]) {
  proto.continue = function continueParsing(this: Continuable) {
    const next = this._continueCallback;
    if (typeof next === 'function') {
      this._continueCallback = false;
      next();
    } else {
      // The message's end has not been parsed yet: resume as soon as it is.
      this._continueCallback = true;
    }
  };
  proto[PATCHED] = true;
}
