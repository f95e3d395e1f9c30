import { defineRule } from './rule.js';

/** The network path to the receiver failed (DNS, connection, timeout). */
export const networkerror = defineRule('networkerror', [
  'connection refused', 'mail loop', 'loop detected', 'routing loop', 'too many hops', 'hop count exceeded', 'host not reachable', 'connection timed out', 'timed out', 'no route to host', 'network is unreachable',
  'could not connect', 'connection reset', 'lost connection', 'socket error', 'unable to connect',
  'host is unreachable', 'name service error', 'dns error', 'dns lookup', 'malformed or unexpected name server reply',
  'temporary lookup failure', 'connection dropped', 'connection closed',
  'dns failure', 'domain name lookup', 'network error', 'networkerror', 'connect to', 'mx lookup',
  'could not be contacted', 'couldn\'t connect', 'unable to resolve', 'no answer from', 'host not responding',
  'connection failed',
]);
