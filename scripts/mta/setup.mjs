#!/usr/bin/env node
// `npm run mta:setup`: installs Postfix (apt-get) and fetches Exim, Sendmail and Dovecot (apt-get download +
// dpkg -x into node_modules/.cache/rebound-mta) for the real-MTA tests and the corpus generator.
import { eximVersion } from './exim.mjs';
import { dovecotVersion } from './dovecot.mjs';
import { ensureDovecot, ensureExim, ensurePostfix, ensureSendmail } from './install.mjs';
import { postfixVersion } from './postfix.mjs';

const pf = await ensurePostfix();
console.log(`postfix ${await postfixVersion()}${pf.installed ? ' (installed now)' : ''}`);
const ex = await ensureExim();
console.log(`exim ${await eximVersion(ex)} at ${ex.bin}${ex.installed ? ' (fetched now)' : ''}`);
const sm = await ensureSendmail();
console.log(`sendmail at ${sm.bin}${sm.installed ? ' (fetched now)' : ''}`);
const dv = await ensureDovecot();
console.log(`${await dovecotVersion(dv)} (LDA + Pigeonhole) at ${dv.lda}${dv.installed ? ' (fetched now)' : ''}`);
