import type { DeliveryEngine } from '../delivery/index.js';
import { diagnose } from '../diagnose/index.js';
import { reconcile, type LogFormat } from '../reconcile/index.js';
import type { Store } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { RecipientActions } from './actions.js';
import type { Resender } from './resend.js';
import type { ControlHandler } from './socket.js';

export interface CommandDeps {
  store: Store;
  actions: RecipientActions;
  delivery: DeliveryEngine;
  resender: Resender;
  clock: Clock;
  /** reconcile.relays and reconcile.skewMs from the configuration. */
  reconcileChain?: { relays: readonly string[]; skewMs: number };
}

/** What the CLI may ask a running server to do over the control socket. */
export function controlCommands(d: CommandDeps): ControlHandler {
  return (cmd, args) => {
    const email = args[0] ?? '';
    switch (cmd) {
      case 'clear': return d.actions.clear(email);
      case 'suppress': return d.actions.suppress(email, args[1] ?? 'suppressed by operator');
      case 'unsuppress': return d.actions.unsuppress(email);
      case 'retry': return d.delivery.retryNow(args[0]).then((scheduled) => ({ scheduled }));
      case 'delete': return d.delivery.remove(args[0] ?? '').then((removed) => ({ removed }));
      case 'resend': return d.resender.resendTo(email);
      case 'reconcile': {
        const o = JSON.parse(args[0] ?? '{}') as { files: string[]; format?: LogFormat; since?: string; dryRun?: boolean };
        return reconcile(d.store, o.files, {
          ...(o.format ? { format: o.format } : {}), ...(o.since ? { since: new Date(o.since) } : {}), dryRun: !!o.dryRun, clock: d.clock,
          ...d.reconcileChain,
        });
      }
      case 'diagnose': return diagnose(d.store, { now: d.clock.now(), windowMs: Number(args[0]) || 3_600_000 });
      default: throw new Error(`unknown command ${cmd}`);
    }
  };
}
