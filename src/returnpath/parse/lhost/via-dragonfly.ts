import type { Dialect } from './dialect.js';
import { textIncludes } from './dialect.js';
import { scanTextBounce } from '../text-scan.js';

/** DragonFly Mail Agent (dma): "There was an error delivering your mail to <rcpt>." */
export const dragonfly: Dialect = {
  name: 'DragonFly',
  detect: (m) => textIncludes(m, ['this is the dragonfly mail agent', '(dragonfly mail agent']),
  parse: (m) => {
    const head = m.text.slice(0, 16384).split(/\n[ \t]*message headers follow\./i)[0] ?? '';
    const rcpt = /there was an error delivering your mail to <([^>\s]{3,254})>/i.exec(head)?.[1];
    if (!rcpt) return scanTextBounce(m);
    const rest = head.slice(head.toLowerCase().indexOf(rcpt.toLowerCase()) + rcpt.length).replace(/^>\.?/, '').trim();
    const command = /did not like our (rcpt to|mail from|data)/i.exec(rest)?.[1]?.toUpperCase().split(' ')[0];
    const diagnostic = rest.replace(/^[^\n]*did not like our [^\n]*\n/i, '').trim();
    return [{ rcpt: rcpt.toLowerCase(), diagnostic, context: rest, ...(command ? { command: command === 'MAIL' ? 'MAIL' : command } : {}) }];
  },
};
