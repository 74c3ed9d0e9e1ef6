// Notifications on the Balance and history page (issue 18; docs/webhooks.md): the account's
// latest notices in words, newest first, and the customer's low-balance threshold
// (PUT .../notification-threshold; "0" turns the low-balance notice off).
import { accountPath, loadSession, request } from './api.js';
import { messageFor } from './messages.js';
import { formatDollars, inputDollars, parseDollars } from './money.js';
import { $, clearErrors, element, formatDateTime, formMessage, setBusy, showFieldErrors } from './ui.js';

const SHOWN = 10;

// One sentence per notice type, in the words of the rest of the console.
function describe(notice) {
  const charge = notice.kind === 'manual' ? 'A manual recharge' : 'An automatic recharge';
  switch (notice.type) {
    case 'balance_low':
      return `Your available balance fell to ${formatDollars(notice.available)}, below your alert at ${formatDollars(notice.threshold)}.`;
    case 'balance_depleted':
      return `Your available balance is used up (${formatDollars(notice.available)}).`;
    case 'charge_captured':
      return `${charge} of ${formatDollars(notice.amount)} was charged to your card.`;
    case 'charge_failed':
      return `${charge} of ${formatDollars(notice.amount)} failed: ${messageFor(notice.error)}`;
    case 'tier_advanced':
      return notice.retry_tier >= 5
        ? 'Every automatic retry has failed.'
        : `Automatic recharges moved to retry ${notice.retry_tier} of 4.`;
    case 'suspended':
      return notice.cause === 'support' ? 'Support suspended the account.' : 'The account was suspended: automatic recharges failed.';
    case 'reactivated':
      return 'The account is active again.';
    case 'velocity_capped':
      return 'Automatic recharges are paused: the daily limit was reached.';
    case 'card_unusable':
      return 'Your bank refused a card for good; it will not be charged again.';
    case 'hold_expired':
      return notice.holds.length === 1
        ? `A reservation of ${formatDollars(notice.amount)} for a call ended and its money is available again.`
        : `${notice.holds.length} reservations for calls, ${formatDollars(notice.amount)} in all, ended and their money is available again.`;
    default:
      return notice.type;
  }
}

async function loadNotifications(app) {
  const list = $('#notifications-list');
  const result = await request('GET', accountPath(loadSession(), `/notifications?limit=${SHOWN}`));
  if (app.handleSessionError(result)) return;
  if (result.status !== 200) {
    list.replaceChildren(element('li', { text: messageFor(result.body.error) }));
    return;
  }
  const notices = result.body.notifications;
  if (notices.length === 0) {
    list.replaceChildren(element('li', { text: 'Nothing yet.' }));
    return;
  }
  list.replaceChildren(
    ...notices.map((notice) =>
      element(
        'li',
        { className: `notice notice-${notice.type}` },
        element('time', { dateTime: new Date(notice.created_at_ms).toISOString(), text: formatDateTime(notice.created_at_ms) }),
        ' ',
        element('span', { text: describe(notice) }),
      ),
    ),
  );
}

async function saveThreshold(app, form) {
  clearErrors(form);
  const input = $('#threshold-amount');
  const parsed = parseDollars(input.value.trim() === '' ? '0' : input.value);
  if (!parsed.ok) return showFieldErrors(form, [[input, parsed.problem]]);
  setBusy(form, true);
  const result = await request('PUT', accountPath(loadSession(), '/notification-threshold'), {
    threshold: parsed.amount,
  });
  setBusy(form, false);
  if (app.handleSessionError(result)) return;
  if (result.status !== 200) {
    formMessage(form, messageFor(result.body.error), 'error');
    return;
  }
  app.account = result.body;
  const threshold = result.body.notification_threshold;
  formMessage(
    form,
    threshold === '0.00'
      ? 'Low-balance alerts are off.'
      : `You will be told when your available balance falls below ${formatDollars(threshold)}.`,
    'success',
  );
  await loadNotifications(app);
}

export function render(app, account) {
  $('#threshold-amount').value = inputDollars(account.notification_threshold);
  return loadNotifications(app);
}

export function init(app) {
  const form = $('#threshold-form');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    saveThreshold(app, form);
  });
}
