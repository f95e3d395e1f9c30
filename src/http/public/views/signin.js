// Sign-in: the operator pastes an API token (one of http.tokens); it is checked against the API
// and kept in sessionStorage for this tab only.
import { get } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { setToken } from '../lib/session.js';
import { errorBox } from '../components/notice.js';

export function render(root, { reason, onSignedIn }) {
  const input = h('input', { type: 'password', id: 'token', name: 'token', required: true, autocomplete: 'current-password', spellcheck: 'false' });
  const out = h('div', { 'aria-live': 'polite' }, reason ? h('p', { class: 'notice' }, reason) : null);
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-h' },
    h('h1', { id: 'signin-h', tabindex: '-1' }, 'Sign in to Rebound'),
    h('p', {}, 'Paste an API token (', h('code', {}, 'rebound new-token'), ' makes one; its hash goes in ', h('code', {}, 'http.tokens'),
      '), or open the sign-in link ', h('code', {}, 'rebound start'), ' prints when no token is configured. The token is kept in this tab only.'),
    h('label', { for: 'token' }, 'API token'), input,
    h('button', { type: 'submit' }, 'Sign in'), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    const btn = form.querySelector('button');
    btn.disabled = true;
    replace(out, h('p', { class: 'notice', role: 'status' }, 'Checking…'));
    try {
      await get('messages', { limit: 1 }, { token });
      setToken(token);
      onSignedIn();
    } catch (err) {
      replace(out, errorBox(err, err.status === 401 ? 'Not accepted' : 'Could not reach the API'));
      btn.disabled = false;
      input.focus();
    }
  });
  replace(root, form);
  input.focus();
}
