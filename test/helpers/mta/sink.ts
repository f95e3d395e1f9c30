// A loopback SMTP server that keeps what it receives: the return path real MTAs send DSNs to.
// @ts-expect-error plain JS module without declarations
import * as core from '../../../scripts/mta/sink.mjs';

export interface SunkMessage { from: string; to: string[]; raw: Buffer }
export interface Sink {
  port: number;
  messages: SunkMessage[];
  waitFor(pred: (m: SunkMessage) => boolean, timeoutMs?: number): Promise<SunkMessage>;
  stop(): Promise<void>;
}

export const startSink = core.startSink as (o?: { port?: number; onRcpt?: (address: string) => string | null }) => Promise<Sink>;
