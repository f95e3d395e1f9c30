import type { LoadedMessage } from '../message.js';
import type { Draft } from '../types.js';

/**
 * One MTA or provider bounce format. `detect` looks at headers and the first part of the text;
 * `parse` reads recipients when the format is not a standard delivery-status report (when it
 * returns nothing, the RFC 3464 reader and then the generic text reader run, labelled with `name`).
 * `adjust` may refine drafts read by any reader (a dialect-specific phrase, a command hint).
 */
export interface Dialect {
  /** Sisimai module name, reported as `decodedby`. */
  readonly name: string;
  detect(msg: LoadedMessage): boolean;
  parse?(msg: LoadedMessage): Draft[];
  adjust?(draft: Draft, msg: LoadedMessage): Draft;
}

/** Case-insensitive test of a header value. */
export function headerHas(msg: LoadedMessage, name: string, re: RegExp): boolean {
  const v = msg.headers[name];
  return v !== undefined && re.test(v);
}

/** Test of the decoded text's head, where notices put their tell-tale sentences. */
export function textHas(msg: LoadedMessage, re: RegExp, within = 8192): boolean {
  return re.test(msg.text.slice(0, within));
}

const lowered = new WeakMap<LoadedMessage, string>();
const LOWER_HEAD = 16384;

/**
 * True when the head of the text contains one of the phrases (lower-case): one lower-casing per
 * message and plain substring searches, so the ~40 detectors cost little on every report.
 */
export function textIncludes(msg: LoadedMessage, phrases: readonly string[]): boolean {
  let head = lowered.get(msg);
  if (head === undefined) {
    head = msg.text.slice(0, LOWER_HEAD).toLowerCase();
    lowered.set(msg, head);
  }
  for (const p of phrases) if (head.includes(p)) return true;
  return false;
}
