// What a diagnosis says: findings, each a symptom with its evidence and the next step to take.
import type { RecipientEvent } from '../types.js';

export type Severity = 'critical' | 'warning' | 'info';

export type RuleId =
  | 'smtp-config'
  | 'response-mismatch'
  | 'address-specific'
  | 'domain-blocked'
  | 'complaint-rate'
  | 'deferral-backlog'
  | 'persistent-flags';

/** One fact behind a finding, concrete enough to look up (a queue id, a recipient, a log line). */
export interface FindingEvidence {
  text: string;
  time?: number;
  queueId?: string;
  rcpt?: string;
  count?: number;
}

export interface Finding {
  /** Stable across runs for the same symptom (rule plus its subject), so a UI can track it. */
  id: string;
  rule: RuleId;
  severity: Severity;
  title: string;
  summary: string;
  evidence: FindingEvidence[];
  nextStep: string;
}

export interface DiagnoseThresholds {
  /** Recipients failing in the window before a shared cause is considered. Default 5. */
  minFailingRecipients: number;
  /** Receiving domains those failures must span. Default 3. */
  minDomains: number;
  /** Share of failures one reply from one host must have to be "dominant". Default 0.6. */
  dominantShare: number;
  /** Connection-level integration errors (connection, timeout, dns, greeting) needed; AUTH/TLS/sender refusals count at once. Default 3. */
  minConnectionErrors: number;
  /** Flagged recipients in the window up to which each is reported on its own. Default 3. */
  maxIsolatedFlags: number;
  /** Attempts to one domain before its rejection share is judged. Default 5. */
  minDomainAttempts: number;
  /** Share of a domain's attempts that failed for it to count as rejecting. Default 0.7. */
  domainRejectShare: number;
  /** Complaint rate (complaints / deliveries) for a warning, and for critical. Defaults 0.001 and 0.003. */
  complaintWarn: number;
  complaintCritical: number;
  /** Backlog size the growth must reach to matter. Default 20. */
  minBacklog: number;
  /** Attempts since the flag for a flag to count as persistent. Default 3. */
  persistentFlagAttempts: number;
}

export interface DiagnoseOptions {
  now: number;
  windowMs: number;
  thresholds?: Partial<DiagnoseThresholds>;
}

export type AttemptEvent = Extract<RecipientEvent, { type: 'attempt' }>;
export type IntegrationEvent = Extract<RecipientEvent, { type: 'integration' }>;
export type ReconcileEvent = Extract<RecipientEvent, { type: 'reconcile' }>;
export type ReportEvent = Extract<RecipientEvent, { type: 'report' }>;
export type FlagEvent = Extract<RecipientEvent, { type: 'flag' | 'clear' | 'suppress' | 'unsuppress' }>;
