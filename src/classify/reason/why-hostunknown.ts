import { defineRule } from './rule.js';

/** The domain part does not resolve or has no mail host. */
export const hostunknown = defineRule('hostunknown', [
  'host unknown', 'unknown host', 'host not found', 'domain not found', 'no such domain', 'unknown domain',
  'domain does not exist', 'domain name not found', 'host or domain name not found', 'name or service not known',
  'unrouteable mail domain', 'unrouteable address', 'all relevant mx records point to non-existent hosts',
  'all host address lookups failed permanently', 'couldn\'t find any host named', 'couldn t find any host named', 'unroutable mail domain', 'nxdomain', 'no mx record', 'bad destination host',
  'illegal host/domain name', 'domain is not hosted', 'recipient domain not found', 'domain unknown',
  'host name lookup failure', 'no such host', 'domain must exist', 'domain not exist', 'invalid domain',
  'unknown mail domain', 'invalid domain name',
  'relay access denied: unknown domain', 'the domain is not reachable',
], [/(?:^|[\s<])[a-z0-9-]+(?:\.[a-z0-9-]+)+>? does not exist/]);
