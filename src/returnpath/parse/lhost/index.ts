import type { Dialect } from './dialect.js';
import { amazonses, amazonworkmail, receivingses } from './via-amazonses.js';
import { barracuda } from './via-barracuda.js';
import { bigfoot } from './via-bigfoot.js';
import { courier } from './via-courier.js';
import { dragonfly } from './via-dragonfly.js';
import { exchange2003, exchange2007 } from './via-exchange.js';
import { exim } from './via-exim.js';
import { ezweb, kddi } from './via-ezweb.js';
import { fml } from './via-fml.js';
import { gmail, googlegroups } from './via-gmail.js';
import { gmx } from './via-gmx.js';
import { imailserver } from './via-imailserver.js';
import { interscanmss } from './via-interscanmss.js';
import { mailfoundry } from './via-mailfoundry.js';
import { mailru } from './via-mailru.js';
import { mcafee } from './via-mcafee.js';
import { messagingserver } from './via-messagingserver.js';
import { notes } from './via-notes.js';
import { office365 } from './via-office365.js';
import { opensmtpd } from './via-opensmtpd.js';
import { outlook } from './via-outlook.js';
import { postfix } from './via-postfix.js';
import { powermta } from './via-powermta.js';
import { qmail } from './via-qmail.js';
import { sendmail, v5sendmail } from './via-sendmail.js';
import { surfcontrol } from './via-surfcontrol.js';
import { x2, x6 } from './via-x2.js';
import { yahoo } from './via-yahoo.js';
import { yandex } from './via-yandex.js';
import { zoho } from './via-zoho.js';

export type { Dialect } from './dialect.js';

/**
 * Detection order: providers and appliances with unmistakable marks first, then the MTAs whose
 * formats others imitate (an Exim-based provider must be named before Exim).
 */
export const DIALECTS: readonly Dialect[] = [
  amazonworkmail, amazonses, receivingses, googlegroups, gmail, yahoo, office365, outlook, mailru, gmx,
  yandex, zoho, ezweb, kddi, barracuda, bigfoot, mcafee, surfcontrol, powermta, interscanmss, imailserver,
  mailfoundry, messagingserver, notes, fml, dragonfly, opensmtpd, x6, x2, exchange2003, exchange2007,
  courier, v5sendmail, qmail, postfix, exim, sendmail,
];

/** The first dialect that recognises the message. */
export function detectDialect(msg: Parameters<Dialect['detect']>[0]): Dialect | undefined {
  for (const d of DIALECTS) {
    try {
      if (d.detect(msg)) return d;
    } catch {
      // A detector must never sink the whole parse.
    }
  }
  return undefined;
}
