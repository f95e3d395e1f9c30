import { defineRule } from './rule.js';

/** The local delivery program (pipe, procmail) failed. */
export const mailererror = defineRule('mailererror', [
  'pipe to |', 'child process of', 'x-unix;', 'mailer error', 'command died with status', 'command failed:', 'procmail',
  'program exited', 'exit code', 'exited with', 'mail delivery agent',
]);
