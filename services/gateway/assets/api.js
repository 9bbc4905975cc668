// The REST client: the session (tokens in localStorage and nowhere else), refresh rotation, and
// problem documents turned into ApiError. One refresh at a time: a refresh token works once, so
// two tabs or two requests refreshing together would otherwise log each other out.

const KEY = 'glimvid.session';
const listeners = new Set();

/** An answer that is not 2xx (from its RFC 9457 problem document), or a network failure. */
export class ApiError extends Error {
  constructor({ status = 0, code = 'unknown', detail = '', field = null, retryAfter = null, requestId = null }) {
    super(detail || code);
    Object.assign(this, { status, code, detail, field, retryAfter, requestId });
  }
}

export function session() {
  try { return JSON.parse(localStorage.getItem(KEY)) || null; } catch { return null; }
}

function save(s) {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  listeners.forEach((f) => f(s));
}

/** Calls `f(session)` when the session changes (login, refresh, logout, also in another tab). */
export function onSession(f) { listeners.add(f); }
window.addEventListener('storage', (e) => { if (e.key === KEY) listeners.forEach((f) => f(session())); });

/** Keeps a fresh token pair (and the account, when the answer has it). */
export function saveTokens(tokens) {
  const old = session() || {};
  save({
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    expires_at: Date.now() + (tokens.expires_in || 900) * 1000,
    user: tokens.user || old.user || null,
  });
}

export function saveUser(user) {
  const s = session();
  if (s) save({ ...s, user });
}

/** Forgets the session locally (the refresh token is revoked by `logout`). */
export function forget(reason) {
  save(null);
  if (reason) window.dispatchEvent(new CustomEvent('glimvid:logged-out', { detail: reason }));
}

async function problemOf(res) {
  let body = {};
  try { body = await res.json(); } catch { /* not JSON: keep the status */ }
  const ra = res.headers.get('retry-after');
  return new ApiError({
    status: res.status,
    code: body.code || `http_${res.status}`,
    detail: body.detail || '',
    field: body.field || null,
    retryAfter: ra && /^\d+$/.test(ra) ? Number(ra) : null,
    requestId: body.request_id || res.headers.get('x-request-id'),
  });
}

let refreshing = null;

/** Trades the refresh token for a new pair; a refused one (reused, revoked, expired) logs out. */
export function refresh() {
  if (refreshing) return refreshing;
  const s = session();
  if (!s) return Promise.reject(new ApiError({ status: 401, code: 'unauthenticated' }));
  refreshing = (async () => {
    let res;
    try {
      res = await fetch('/api/v1/auth/refresh', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: s.refresh_token }),
      });
    } catch { throw new ApiError({ code: 'network' }); }
    if (!res.ok) {
      const err = await problemOf(res);
      // Another tab may have rotated the pair meanwhile: use its tokens if it did.
      const now = session();
      if (now && now.refresh_token !== s.refresh_token) return now;
      if (res.status === 401 || res.status === 403 || res.status === 404) forget('session_ended');
      throw err;
    }
    saveTokens(await res.json());
    return session();
  })().finally(() => { refreshing = null; });
  return refreshing;
}

/** A valid access token, refreshed first when it expires within 30 s. */
export async function accessToken() {
  let s = session();
  if (!s) throw new ApiError({ status: 401, code: 'unauthenticated' });
  if (s.expires_at - Date.now() < 30000) s = await refresh();
  return s.access_token;
}

/**
 * Calls the API. `opts`: `json` (a body), `form` (FormData), `password` (sent as
 * X-Glimvid-Password for the actions that need it), `auth` (default true), `raw` (return the
 * Response), `headers`, `signal`. Resolves to the parsed JSON (or null for 204).
 */
export async function api(method, path, opts = {}) {
  const { json, form, password, auth = true, raw = false, signal } = opts;
  const build = async () => {
    const headers = { ...(opts.headers || {}) };
    if (auth) headers.authorization = `Bearer ${await accessToken()}`;
    if (json !== undefined) headers['content-type'] = 'application/json';
    if (password !== undefined) headers['x-glimvid-password'] = password;
    return { method, headers, body: json !== undefined ? JSON.stringify(json) : form, signal };
  };
  const send = async () => {
    try { return await fetch(`/api/v1${path}`, await build()); } catch (e) {
      if (e instanceof ApiError) throw e;
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError({ code: 'network' });
    }
  };
  let res = await send();
  if (res.status === 401 && auth && session()) {
    await refresh();
    res = await send();
  }
  if (!res.ok) {
    const err = await problemOf(res);
    if (err.status === 401 && auth) forget('session_ended');
    throw err;
  }
  if (raw) return res;
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') || '';
  return type.includes('json') ? res.json() : res.blob();
}

/**
 * Submits a video with upload progress (fetch has none): XMLHttpRequest with the same token
 * handling. `onProgress(fraction)`.
 */
export async function submitVideo(form, idempotencyKey, onProgress) {
  const attempt = (token) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/videos');
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('idempotency-key', idempotencyKey);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError({ code: 'network' }));
    xhr.onload = () => {
      const headers = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
        const i = line.indexOf(':');
        if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
      resolve(new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, headers }));
    };
    xhr.send(form);
  });
  let res = await attempt(await accessToken());
  if (res.status === 401 && session()) res = await attempt((await refresh()).access_token);
  if (!res.ok) throw await problemOf(res);
  return res.json();
}

/** An object URL of a file that needs the access token (thumbnails, enhanced photos). */
export async function blobUrl(path) {
  const res = await api('GET', path.replace(/^\/api\/v1/, ''), { raw: true });
  return URL.createObjectURL(await res.blob());
}

export async function register(body) {
  const tokens = await api('POST', '/auth/register', { json: body, auth: false });
  saveTokens(tokens);
  return tokens;
}

export async function login(email, password) {
  const tokens = await api('POST', '/auth/login', { json: { email, password }, auth: false });
  saveTokens(tokens);
  return tokens;
}

export async function logout() {
  const s = session();
  forget();
  if (s) {
    try { await api('POST', '/auth/logout', { json: { refresh_token: s.refresh_token }, auth: false }); } catch { /* gone already */ }
  }
}
