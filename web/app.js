// The customer billing console: a single page whose sections are shown by the hash route
// (#/login, #/password, #/overview, #/billing, #/payments). No framework, no build step:
// ES modules served by ledgerd itself (web/README.md, docs/browser-console.md).
import { accountPath, clearSession, loadSession, request, saveSession } from './api.js';
import { messageFor } from './messages.js';
import { formatDollars } from './money.js';
import { $, formatDateTime } from './ui.js';
import * as auth from './auth.js';
import * as overview from './overview.js';
import * as billing from './billing.js';
import * as payments from './payments.js';

const PAGES = {
  login: { title: 'Log in', module: auth.login, needsSession: false },
  password: { title: 'Choose your password', module: auth.forced, needsSession: true },
  overview: { title: 'Balance and history', module: overview, needsSession: true },
  billing: { title: 'Billing', module: billing, needsSession: true },
  payments: { title: 'Payments', module: payments, needsSession: true },
};

// What every page may use.
const app = {
  account: null, // the latest account view (GET /v1/accounts/{id})
  flash: '', // a message for the next page shown (after the forced password change)
  session: () => loadSession(),
  navigate(page) {
    if (location.hash === `#/${page}`) route();
    else location.hash = `#/${page}`;
  },
  // Reads the account and redraws what depends on it; the account view, or null.
  async refreshAccount() {
    const session = loadSession();
    if (!session) return null;
    const result = await request('GET', accountPath(session));
    if (app.handleSessionError(result)) return null;
    if (result.status !== 200) return null;
    app.account = result.body;
    renderBanner(app.account);
    return app.account;
  },
  // A refused session sends the customer to log in (or to the forced change); true if so.
  handleSessionError(result) {
    const code = result.body?.error;
    if (result.status === 401 && code === 'unauthorized') {
      endSession(messageFor('unauthorized'));
      return true;
    }
    if (result.status === 403 && code === 'password_change_required') {
      const session = loadSession();
      if (session) saveSession({ ...session, passwordChangeRequired: true });
      app.navigate('password');
      return true;
    }
    return false;
  },
  endSession,
};

let loginNotice = '';
let routeGeneration = 0; // the latest route() call: an older one that finishes late draws nothing

function endSession(notice = '') {
  clearSession();
  app.account = null;
  loginNotice = notice;
  renderBanner(null);
  app.navigate('login');
}

// The banner on every page: suspended (with what to do), automatic recharges paused by their
// daily limit, or a failed automatic recharge.
function renderBanner(account) {
  const banner = $('#account-banner');
  const actions = $('#banner-actions');
  actions.replaceChildren();
  const paused = account?.velocity_cap?.held_back === true;
  if (!account || (account.state === 'active' && account.retry_tier === 0 && !paused)) {
    banner.hidden = true;
    banner.removeAttribute('role');
    return;
  }
  const link = (href, text) => Object.assign(document.createElement('a'), { href, textContent: text });
  if (account.state === 'suspended') {
    banner.className = 'banner banner-suspended';
    banner.setAttribute('role', 'alert');
    $('#banner-title').textContent = 'Your account is suspended';
    if (account.suspension_cause === 'support') {
      $('#banner-text').textContent =
        'Support suspended this account, so usage is blocked. Please contact support to ' +
        'restore it. You can still add cards and recharge.';
    } else {
      $('#banner-text').textContent =
        'Automatic recharges failed at every retry level, so usage is blocked. To restore ' +
        `service, make a manual recharge that brings your balance (now ${formatDollars(account.balance)}) ` +
        'above $0.00. If your card keeps being declined, add another card first.';
      actions.append(link('#/payments', 'Recharge now'), ' ', link('#/billing', 'Manage cards'));
    }
  } else if (paused) {
    const cap = account.velocity_cap;
    banner.className = 'banner banner-warning';
    banner.setAttribute('role', 'status');
    $('#banner-title').textContent = 'Automatic recharges are paused';
    const until = cap.frees_at_ms ? ` They resume on ${formatDateTime(cap.frees_at_ms)}.` : '';
    $('#banner-text').textContent =
      `${cap.charges_used === 1 ? 'One automatic recharge' : `${cap.charges_used} automatic recharges`} ` +
      `(${formatDollars(cap.amount_used)}) ${cap.charges_used === 1 ? 'was' : 'were'} made in ` +
      `the last 24 hours, this account’s daily limit, which protects you from runaway charging.${until} ` +
      'Until then usage stops when your balance runs out: make a manual recharge to keep going.';
    actions.append(link('#/payments', 'Recharge now'));
  } else {
    banner.className = 'banner banner-warning';
    banner.setAttribute('role', 'status');
    $('#banner-title').textContent = 'An automatic recharge failed';
    $('#banner-text').textContent =
      account.retry_tier === 'exhausted'
        ? 'Every automatic retry has failed. When your balance reaches $0.00 the account will ' +
          'be suspended. Make a manual recharge or check your card.'
        : `The next automatic attempt is made when your balance falls to ${account.retry_tier_percent} % ` +
          'of your Balance Amount. Check your card, or make a manual recharge.';
    actions.append(link('#/payments', 'Recharge now'), ' ', link('#/billing', 'Manage cards'));
  }
  banner.hidden = false;
}

function pageFromHash() {
  const name = location.hash.replace(/^#\/?/, '');
  return Object.hasOwn(PAGES, name) ? name : null;
}

// Shows one section, updates the title and navigation, and moves focus to the page's
// heading so that keyboard and screen-reader users start at the top of the new page.
async function route() {
  const generation = ++routeGeneration;
  const session = loadSession();
  let name = pageFromHash() ?? (session ? 'overview' : 'login');
  if (PAGES[name].needsSession && !session) name = 'login';
  if (session?.passwordChangeRequired && name !== 'login') name = 'password';
  if (!session?.passwordChangeRequired && name === 'password') name = session ? 'overview' : 'login';
  if (name === 'login' && session && !session.passwordChangeRequired) name = 'overview';
  if (`#/${name}` !== location.hash) history.replaceState(null, '', `#/${name}`);

  const full = Boolean(session && !session.passwordChangeRequired);
  $('#site-nav').hidden = !full;
  $('#session-box').hidden = !session;
  $('#session-who').textContent = session ? `Account ${session.accountId}` : '';
  // For password managers: the login the password forms belong to.
  for (const input of document.querySelectorAll('.account-username')) input.value = session?.accountId ?? '';
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  for (const section of document.querySelectorAll('[data-page]')) {
    section.hidden = section.dataset.page !== name;
  }
  if (!full) renderBanner(null);
  document.title = `${PAGES[name].title} – Contacto billing`;
  $('#page-announcer').textContent = PAGES[name].title;
  const section = document.querySelector(`[data-page="${name}"]`);
  section.querySelector('h1').focus();
  const notice = name === 'login' ? loginNotice : '';
  loginNotice = '';
  await PAGES[name].module.show(app, { notice });
  // For tests and styles: the page is drawn (unless another route started meanwhile).
  if (generation === routeGeneration) document.body.dataset.shown = name;
}

async function logout() {
  const session = loadSession();
  if (session) await request('POST', '/v1/logout');
  endSession('You are logged out.');
}

function start() {
  for (const page of Object.values(PAGES)) page.module.init(app);
  $('#logout-button').addEventListener('click', logout);
  window.addEventListener('hashchange', route);
  route();
}

start();
