// The JSON API client: adds the bearer token, turns error bodies into ApiError, and tells the
// app when the token stopped working (401) so it can ask for it again.
import { clearToken, getToken } from './session.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let onUnauthorized = () => {};
/** Called once per 401 answer, after the token was dropped. */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** `api/...` relative to the page, so the dashboard also works behind a proxy under a sub-path. */
export function apiUrl(path, query) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return `api/${path}${s ? `?${s}` : ''}`;
}

export function authHeaders(token = getToken()) {
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function errorOf(res) {
  let code = `http_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message);
}

/** fetch() against the API; resolves to the parsed JSON body or throws ApiError. */
export async function request(method, path, { query, body, headers, token, signal } = {}) {
  const init = { method, headers: { accept: 'application/json', ...authHeaders(token), ...headers }, signal };
  if (body !== undefined) {
    if (body instanceof Blob || typeof body === 'string') init.body = body;
    else {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
  }
  const res = await fetch(apiUrl(path, query), init);
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && token === undefined) {
      clearToken();
      onUnauthorized(err);
    }
    throw err;
  }
  return res.json();
}

export const get = (path, query, opts) => request('GET', path, { ...opts, query });
export const post = (path, body, opts) => request('POST', path, { ...opts, body });

/** Path segment for an address (keeps @ readable, escapes the rest). */
export const enc = (s) => encodeURIComponent(s).replace(/%40/g, '@');
