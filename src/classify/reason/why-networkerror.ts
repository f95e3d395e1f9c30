import { defineRule } from './rule.js';

/** The network path to the receiver failed (DNS, connection, timeout). */
export const networkerror = defineRule('networkerror', [
  'mail loop', 'address family mismatch on destination mxs', 'all routes to destination blocked', 'bad dns lookup error code',
  'could not retrieve source address', 'no mx found for domain', 'no mx found for destination', 'no valid route to remote mx',
  'no valid route to destination', 'temporary failure in mx lookup', 'dns lookup failed', 'couldn\'t find a mail exchanger or ip address',
  'although i\'m listed as a best-preference mx', 'this message is looping', 'already has my delivered-to line', 'loop detected', 'routing loop', 'too many hops', 'hop count exceeded', 'host not reachable', 'no route to host', 'network is unreachable',
  'could not connect and send', 'socket error',
  'host is unreachable', 'malformed or unexpected name server reply', 'malformed name server reply',
  'temporary lookup failure', 'connection dropped', 'connection closed',
  'network error', 'networkerror', 'host name lookup failure', 'host not found, try again', 'unable to resolve route',
  'could not be contacted', 'couldn\'t connect', 'unable to resolve', 'no answer from', 'host not responding',
  'connection failed',
]);
