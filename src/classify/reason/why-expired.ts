import { defineRule } from './rule.js';

/** Delivery kept failing until the sender's queue gave up (or is still retrying). */
export const expired = defineRule('expired', [
  'retry timeout exceeded', 'envelope expired', 'greylisted', 'greylisting', 'graylisted', 'graylisting', 'grey-listed', 'connection timed out', 'server did not respond', 'unable to deliver message after multiple retries', 'did not accept our requests to connect', 'in the queue too long', 'message expired', 'delivery time expired', 'queue too long', 'gave up',
  'giving up', 'was not delivered within', 'not delivered within', 'could not be delivered within',
  'could not be delivered for', 'delivery delayed', 'delivery has been delayed', 'has been delayed',
  'message has been delayed', 'delivery expired', 'unable to deliver for', 'message timed out',
  'retry time not reached', 'have not been able to deliver', 'will be retried', 'will continue trying',
  'will retry', 'still trying', 'delivery attempts will continue', 'maximum time', 'message is delayed',
  'too long in queue', 'expired after', 'have been failing for', 'delivery is delayed', 'has not yet been delivered',
  'undeliverable for more than', 'could not deliver the message in the time limit',
]);
