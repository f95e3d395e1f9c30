// "Download CSV" for a filtered list: the API renders it (format=csv); fetched with the token,
// because a plain link cannot send the Authorization header.
import { apiUrl, authHeaders, ApiError } from '../lib/api.js';
import { h } from '../lib/dom.js';

export function csvButton(path, query, name) {
  const status = h('span', { class: 'csv-status', role: 'status' });
  const button = h('button', { type: 'button', class: 'secondary', dataset: { csv: name } }, 'Download CSV');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'Preparing…';
    try {
      const res = await fetch(apiUrl(path, { ...query, format: 'csv', limit: '', offset: '' }), { headers: authHeaders() });
      if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, `${res.status} ${res.statusText}`);
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      // A blob: URL made here from the API's own answer; h() would refuse it as a foreign scheme.
      a.href = url;
      a.download = `${name}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      status.textContent = '';
    } catch (err) {
      status.textContent = `CSV failed: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  });
  return h('span', { class: 'csv' }, button, ' ', status);
}
