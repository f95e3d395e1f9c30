import { defineRule } from './rule.js';

/** The host refused to relay for this destination. */
export const norelaying = defineRule('norelaying', [
  'relaying denied', 'isn\'t in my list of allowed rcpthosts', 'not in my list of allowed rcpthosts', 'insecure mail relay', 'relay access denied', 'relay not permitted', 'relaying not allowed', 'relay not allowed',
  'we do not relay', 'not allowed to relay', 'unable to relay', 'relay denied', 'relaying is prohibited',
  'no relaying', 'not permitted to relay', 'does not relay', 'relaying mail to', 'relay rejected',
  'cannot relay', 'can\'t relay', 'relaying to', 'open relay not allowed', 'not a gateway',
]);
