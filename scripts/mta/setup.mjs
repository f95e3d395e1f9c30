#!/usr/bin/env node
// `npm run mta:setup`: installs Postfix (apt-get) and fetches Exim (apt-get download + dpkg -x into
// node_modules/.cache/rebound-mta) for the real-MTA tests and the corpus generator; prints versions.
import { eximVersion } from './exim.mjs';
import { ensureExim, ensurePostfix } from './install.mjs';
import { postfixVersion } from './postfix.mjs';

const pf = await ensurePostfix();
console.log(`postfix ${await postfixVersion()}${pf.installed ? ' (installed now)' : ''}`);
const ex = await ensureExim();
console.log(`exim ${await eximVersion(ex)} at ${ex.bin}${ex.installed ? ' (fetched now)' : ''}`);
