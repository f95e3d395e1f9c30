import { defineRule } from './rule.js';

/** The receiving system ran out of disk or resources. */
export const systemfull = defineRule('systemfull', [
  'insufficient system storage', 'mailbox unavailable (not enough free space)', 'no space left on device', 'mail system full', 'disk full', 'system full',
  'insufficient disk space', 'server is full', 'out of disk space', 'not enough disk space', 'file system full',
  'volume full', 'insufficient system resources',
]);
