// The console's only way to the ledger: the HTTP API of the same ledgerd (docs/api.md),
// with the session's Bearer token. Every answer becomes {status, body}; a request that got
// no answer is {status: 0, body: {error: 'network'}}, so callers handle one shape.

const SESSION_KEY = 'contacto.session';
const REQUEST_TIMEOUT_MS = 20000; // above the server's 10 s request timeout
// A CSV export streams the journal of a period: a month of a busy account takes a while.
const DOWNLOAD_TIMEOUT_MS = 300000;

// The session of this browser tab: {token, accountId, passwordChangeRequired, expiresAt}.
// sessionStorage: it ends with the tab and is never sent anywhere but in our own header.
export function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    if (session && typeof session.token === 'string' && typeof session.accountId === 'string') {
      return session;
    }
  } catch {
    // A damaged entry is no session.
  }
  return null;
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

export async function request(method, path, body = undefined) {
  const headers = { Accept: 'application/json' };
  const session = loadSession();
  if (session) headers.Authorization = `Bearer ${session.token}`;
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  init.signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { status: 0, body: { error: 'network' } };
  }
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = null;
  }
  if (parsed === null || typeof parsed !== 'object') {
    return { status: response.status, body: { error: 'unexpected' } };
  }
  return { status: response.status, body: parsed };
}

// A file from the API (a CSV statement or journal, docs/api.md "Usage and statements"), with
// the session's Bearer token, which a plain link cannot carry. {status: 200, blob, fileName}
// (the name from Content-Disposition, else `fallbackName`), or {status, body} like request().
export async function download(path, fallbackName) {
  const headers = { Accept: 'text/csv' };
  const session = loadSession();
  if (session) headers.Authorization = `Bearer ${session.token}`;
  let response;
  let blob;
  try {
    response = await fetch(path, {
      method: 'GET',
      headers,
      cache: 'no-store',
      credentials: 'omit',
      signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
    });
    if (response.status !== 200) {
      const body = await response.json().catch(() => null);
      return { status: response.status, body: body?.error ? body : { error: 'unexpected' } };
    }
    blob = await response.blob();
  } catch {
    return { status: 0, body: { error: 'network' } };
  }
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const fileName = /filename="([A-Za-z0-9._-]+)"/.exec(disposition)?.[1] ?? fallbackName;
  return { status: 200, blob, fileName };
}

export const accountPath = (session, rest = '') =>
  `/v1/accounts/${encodeURIComponent(session.accountId)}${rest}`;
