import { defineRule } from './rule.js';

/** The message carried a virus or malware. */
export const virusdetected = defineRule('virusdetected', [
  'virus', 'malware', 'infected', 'trojan', 'malicious', 'worm ', 'ransomware',
]);
