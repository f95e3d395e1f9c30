import type { SMTPServer } from 'smtp-server';

/**
 * Closes any connection that lasts longer than `ms`. The idle timeout alone does not stop a client
 * that sends one byte every few seconds; this bounds how long one client can hold a slot.
 */
export function limitSessionLength(server: SMTPServer, ms: number): void {
  server.server.on('connection', (sock: import('node:net').Socket) => {
    const t = setTimeout(() => sock.destroy(), ms);
    t.unref();
    sock.once('close', () => clearTimeout(t));
  });
}
