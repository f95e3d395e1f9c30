import { defineRule } from './rule.js';

/** An SMTP command or argument was not understood. */
export const syntaxerror = defineRule('syntaxerror', [
  'syntax error', 'angle-brackets nested too deep', 'expected word or "<"', 'domain missing in source-routed address',
  'malformed address:', 'command unrecognized', 'unrecognized command', 'invalid command', 'command not recognized',
  'bad sequence of commands', 'line too long', 'command not implemented', 'syntax not recognized',
]);
