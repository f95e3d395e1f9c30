// The dashboard's entry: sign-in gate, navigation and the hash router that mounts one view at a time.
import { setUnauthorizedHandler } from './lib/api.js';
import { h, replace } from './lib/dom.js';
import { clearToken, getToken, setToken } from './lib/session.js';
import { currentRoute, href } from './lib/router.js';
import { errorBox } from './components/notice.js';
import * as activity from './views/activity.js';
import * as diagnose from './views/diagnose.js';
import * as integration from './views/integration.js';
import * as live from './views/live.js';
import * as overview from './views/overview.js';
import * as recipient from './views/recipient.js';
import * as recipients from './views/recipients.js';
import * as reconcile from './views/reconcile.js';
import * as reports from './views/reports.js';
import * as signin from './views/signin.js';

const VIEWS = {
  overview: { view: overview, label: 'Overview', title: 'Overview' },
  activity: { view: activity, label: 'Activity › Email', title: 'Email activity' },
  recipients: { view: recipients, label: 'Recipients', title: 'Recipients' },
  recipient: { view: recipient, label: 'Recipient', title: 'Recipient' },
  integration: { view: integration, label: 'Integration errors', title: 'Integration errors' },
  diagnose: { view: diagnose, label: 'Diagnosis', title: 'Diagnosis' },
  reconcile: { view: reconcile, label: 'Reconciliation', title: 'Reconciliation' },
  reports: { view: reports, label: 'Reports', title: 'Reports' },
  live: { view: live, label: 'Live tail', title: 'Live tail' },
};

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const account = document.getElementById('account');
let cleanup = null;
let generation = 0;

function drawNav(active) {
  replace(nav, h('ul', {}, Object.entries(VIEWS).map(([name, v]) =>
    h('li', {}, h('a', { href: href(name), 'aria-current': name === active ? 'page' : null }, v.label)))));
  replace(account, h('button', { type: 'button', class: 'secondary', onclick: signOut }, 'Sign out'));
}

function unmount() {
  if (cleanup) cleanup();
  cleanup = null;
}

function signOut() {
  clearToken();
  showSignIn();
}

function showSignIn(reason) {
  unmount();
  generation++;
  replace(nav);
  replace(account);
  document.title = 'Sign in · Rebound';
  signin.render(main, { reason, onSignedIn: route });
}

async function route() {
  if (!getToken()) return showSignIn();
  unmount();
  const r = currentRoute();
  const entry = VIEWS[r.name] ?? VIEWS.overview;
  const name = VIEWS[r.name] ? r.name : 'overview';
  drawNav(name);
  document.title = `${entry.title}${r.params[0] ? `: ${r.params[0]}` : ''} · Rebound`;
  const mine = ++generation;
  main.setAttribute('aria-busy', 'true');
  try {
    const ret = await entry.view.render(main, r);
    if (mine !== generation) {
      if (typeof ret === 'function') ret();
      return;
    }
    if (typeof ret === 'function') cleanup = ret;
    performance.mark(`rebound:${name}:ready`);
  } catch (err) {
    if (mine === generation && getToken()) replace(main, errorBox(err, 'This view failed'));
  } finally {
    if (mine === generation) main.removeAttribute('aria-busy');
  }
  if (mine === generation && document.activeElement === document.body) main.querySelector('h1')?.focus({ preventScroll: true });
}

document.querySelector('.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
// The start-up sign-in link (`rebound start` with no http.tokens): #signin=TOKEN. The token moves
// to this tab's sessionStorage and leaves the address bar and the history at once.
const link = /^#signin=([\w-]{16,})$/.exec(location.hash);
if (link) {
  setToken(link[1]);
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
}
setUnauthorizedHandler(() => showSignIn('The token is no longer accepted. Sign in again.'));
window.addEventListener('hashchange', route);
route();
