// Reads a Server-Sent Events stream with fetch(), because EventSource cannot send the
// Authorization header the API needs. Reconnects after `retry` ms with Last-Event-ID, like
// EventSource would, until stop() is called.
import { apiUrl, authHeaders } from './api.js';

/** Splits SSE text into messages; returns the unfinished tail. */
export function parseSse(buffer, onMessage, state) {
  let at;
  while ((at = buffer.search(/\r?\n\r?\n/)) >= 0) {
    const block = buffer.slice(0, at);
    buffer = buffer.slice(at + (buffer[at] === '\r' ? 4 : 2));
    const msg = { event: 'message', id: null, data: [] };
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') msg.event = value;
      else if (field === 'data') msg.data.push(value);
      else if (field === 'id') msg.id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) state.retryMs = Number(value);
    }
    if (msg.id !== null) state.lastId = msg.id;
    if (msg.data.length) onMessage({ event: msg.event, id: msg.id, data: msg.data.join('\n') });
  }
  return buffer;
}

/**
 * Opens GET api/events/stream (with `query` filters). onEvent({event, id, data}) per message;
 * onStatus('connecting' | 'open' | 'closed' | 'error', detail).
 */
export function openEventStream({ query, onEvent, onStatus = () => {} }) {
  const state = { retryMs: 3000, lastId: null };
  let controller = null;
  let stopped = false;
  let timer = null;

  async function connect() {
    controller = new AbortController();
    onStatus('connecting');
    try {
      const headers = { accept: 'text/event-stream', ...authHeaders() };
      if (state.lastId) headers['last-event-id'] = state.lastId;
      const res = await fetch(apiUrl('events/stream', query), { headers, signal: controller.signal, cache: 'no-store' });
      if (!res.ok || !res.body) {
        onStatus('error', `${res.status} ${res.statusText}`);
        if (res.status === 401) return stop();
        return schedule();
      }
      onStatus('open');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = parseSse(buffer + value, onEvent, state);
      }
      if (!stopped) schedule();
    } catch (err) {
      if (stopped) return;
      onStatus('error', err.message);
      schedule();
    }
  }

  function schedule() {
    if (stopped) return;
    onStatus('closed', `reconnecting in ${Math.round(state.retryMs / 1000)} s`);
    timer = setTimeout(connect, state.retryMs);
  }

  function stop() {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
    onStatus('closed');
  }

  connect();
  return { stop };
}
