// Balance and history: the account's balance, state, automatic recharge and retry level,
// usage of the last 30 days and a day's history (usage.js), and the journal newest first, a
// page at a time (GET .../journal, docs/api.md).
import { accountPath, loadSession, request } from './api.js';
import { messageFor } from './messages.js';
import { formatDollars, percentOf } from './money.js';
import * as notifications from './notifications.js';
import { $, element, formatDateTime, formMessage } from './ui.js';
import * as usage from './usage.js';

const PAGE_ENTRIES = 20;
const TIER_COUNT = 4; // retry levels after the first attempt (75, 50, 25, 0 %)

// The newest entry shown; 0 before the first page.
let historyEnd = 0;
let journalSeq = 0;

function describeAuto(account) {
  const auto = account.auto_recharge;
  if (!auto.enabled) return 'Off. Turn it on under Payments to keep your balance topped up.';
  if (account.default_card_id === 0) return 'On, but there is no card to charge: add one under Billing.';
  return `On: when your balance falls below ${formatDollars(auto.balance_amount)}, ` +
    `${formatDollars(auto.recharge_amount)} is charged to your default card.`;
}

function describeTier(account) {
  if (account.retry_tier === 0) return 'Normal: no automatic recharge has failed.';
  if (account.retry_tier === 'exhausted') {
    return 'Every automatic retry has failed. A manual recharge starts over at the normal level.';
  }
  const at = percentOf(account.auto_recharge.balance_amount, account.retry_tier_percent);
  return `Retry ${account.retry_tier} of ${TIER_COUNT} after a failed charge: the next ` +
    `automatic attempt is made when the balance is at or below ${account.retry_tier_percent} % ` +
    `of the Balance Amount (${formatDollars(at)}).`;
}

// The velocity cap (docs/api.md, "Velocity caps"): a daily limit on automatic recharges that
// protects the customer from runaway charging.
function describeVelocity(account) {
  const cap = account.velocity_cap;
  const used = `${cap.charges_used} of ${cap.charges} automatic recharges ` +
    `(${formatDollars(cap.amount_used)} of ${formatDollars(cap.amount)})`;
  if (!cap.reached) return `${used}. This daily limit protects you from runaway charging.`;
  const until = cap.frees_at_ms ? ` until ${formatDateTime(cap.frees_at_ms)}` : '';
  if (cap.held_back) {
    return `Paused${until}: ${used} were made, the daily limit. Make a manual recharge if ` +
      'your balance runs out before then.';
  }
  return `Limit reached: ${used}. The next automatic recharge waits${until}.`;
}

function describeCharges(account) {
  if (account.charges_in_flight.length === 0) return 'None.';
  return account.charges_in_flight
    .map((charge) => `${formatDollars(charge.amount)} (${charge.kind === 'automatic' ? 'automatic' : 'manual'})`)
    .join(', ');
}

// Holds: money reserved by the usage platform for calls (or sessions) still running; it is
// spent when they end, or comes back if they do not use it (docs/api.md, "Holds").
function describeHeld(account) {
  const calls = account.open_holds;
  if (!calls) return 'None.';
  return `${formatDollars(account.held)} reserved for ${calls} ${calls === 1 ? 'call' : 'calls'}; ` +
    'what a call does not use comes back when it ends.';
}

function renderAccount(account) {
  $('#overview-balance').textContent = formatDollars(account.balance);
  $('#overview-available').textContent = formatDollars(account.available);
  $('#overview-held').textContent = describeHeld(account);
  const state = $('#overview-state');
  if (account.state === 'active') state.textContent = 'Active';
  else if (account.suspension_cause === 'support') state.textContent = 'Suspended by support';
  else state.textContent = 'Suspended: automatic recharges failed';
  $('#overview-auto').textContent = describeAuto(account);
  $('#overview-tier').textContent = describeTier(account);
  $('#overview-velocity').textContent = describeVelocity(account);
  $('#overview-charges').textContent = describeCharges(account);
}

async function loadHistory(app, end) {
  const session = loadSession();
  const rows = $('#history-rows');
  const from = Math.max(1, end - PAGE_ENTRIES + 1);
  if (end < 1) {
    rows.replaceChildren(element('tr', {}, element('td', { colSpan: 6, text: 'No entries yet.' })));
    $('#history-range').textContent = 'No entries yet.';
  } else {
    const result = await request('GET', accountPath(session, `/journal?from_seq=${from}&limit=${end - from + 1}`));
    if (app.handleSessionError(result)) return;
    if (result.status !== 200) {
      formMessage($('[data-page="overview"]'), messageFor(result.body.error), 'error');
      return;
    }
    const entries = [...result.body.entries].reverse();
    rows.replaceChildren(
      ...entries.map((entry) =>
        element(
          'tr',
          {},
          element('td', { text: `#${entry.seq}` }),
          element('td', { text: entry.time === null ? '–' : formatDateTime(Date.parse(entry.time)) }),
          element('td', { text: usage.entryName(entry) }),
          element('td', { className: 'number', text: formatDollars(entry.amount) }),
          element('td', { className: 'number', text: formatDollars(entry.balance_after) }),
          element('td', { className: 'reference', text: entry.reference }),
        ),
      ),
    );
    $('#history-range').textContent = `Entries ${from} to ${end} of ${journalSeq}, newest first.`;
  }
  historyEnd = end;
  $('#history-newer').disabled = end >= journalSeq;
  $('#history-older').disabled = from <= 1;
  // A pager button that was just used may now be disabled: keep keyboard focus nearby.
  const focused = document.activeElement;
  if (focused?.disabled) {
    const other = focused.id === 'history-older' ? $('#history-newer') : $('#history-older');
    (other.disabled ? $('#overview-refresh') : other).focus();
  }
}

async function refresh(app) {
  // Usage first, then the account: the day view needs a journal seq at least as new as the
  // usage answer (usage.js, readDay).
  const usageRead = await usage.load(app);
  if (!loadSession()) return;
  const account = await app.refreshAccount();
  if (!account) {
    if (loadSession()) formMessage($('[data-page="overview"]'), messageFor('network'), 'error');
    return;
  }
  renderAccount(account);
  journalSeq = account.journal_seq;
  await Promise.all([
    loadHistory(app, journalSeq),
    notifications.render(app, account),
    usageRead ? usage.render(app, account.journal_seq) : null,
  ]);
}

export function init(app) {
  $('#history-older').addEventListener('click', () =>
    loadHistory(app, Math.max(0, historyEnd - PAGE_ENTRIES)),
  );
  $('#history-newer').addEventListener('click', () =>
    loadHistory(app, Math.min(journalSeq, historyEnd + PAGE_ENTRIES)),
  );
  $('#overview-refresh').addEventListener('click', () => refresh(app));
  notifications.init(app);
  usage.init(app);
}

export async function show(app) {
  const section = $('[data-page="overview"]');
  formMessage(section, app.flash ?? '', 'success');
  app.flash = '';
  await refresh(app);
}
