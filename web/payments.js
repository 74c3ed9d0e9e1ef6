// Payments: automatic recharge (on/off, Balance Amount, Recharge Amount) and manual
// recharges. Amounts are typed in dollars and sent as exact decimal strings. The minimum and
// the account's maximum are shown and checked here; the server checks them again.
//
// A manual recharge carries an idempotency key, one per intended recharge: sending the same
// attempt again (after no answer, or while the processor has not answered) reuses its key,
// so the card is charged at most once; a new amount or card is a new attempt with a new key.
import { accountPath, loadSession, request } from './api.js';
import { cardLabel } from './billing.js';
import { messageFor } from './messages.js';
import { compareAmounts, formatDollars, inputDollars, parseDollars } from './money.js';
import { $, clearErrors, element, formMessage, setBusy, showFieldErrors } from './ui.js';

const PENDING_CHECK_DELAY_MS = 2000;
const PENDING_CHECKS_MAX = 15;

let attempt = null; // {key, amount, cardId}: the manual recharge being made
let pendingTimer = 0;

function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${[...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

function limitsText(account) {
  return `Between ${formatDollars(account.minimum_recharge)} (the minimum) and ` +
    `${formatDollars(account.maximum_recharge)} (this account’s maximum).`;
}

// The typed amount as an API amount string, or an error message.
function checkRechargeAmount(account, typed) {
  const parsed = parseDollars(typed);
  if (!parsed.ok) return { problem: parsed.problem };
  if (compareAmounts(parsed.amount, account.minimum_recharge) < 0) {
    return { problem: `The minimum recharge is ${formatDollars(account.minimum_recharge)}.` };
  }
  if (compareAmounts(parsed.amount, account.maximum_recharge) > 0) {
    return {
      problem: `This account’s maximum recharge is ${formatDollars(account.maximum_recharge)}. ` +
        'Contact support to raise it.',
    };
  }
  return { amount: parsed.amount };
}

function renderLimits(account) {
  $('#payments-limits').textContent =
    `Every recharge, automatic or manual, is ${limitsText(account).replace(/^B/, 'b')} ` +
    'Support can raise the maximum.';
  $('#auto-recharge-hint').textContent =
    `Charged to your default card each time. ${limitsText(account)}`;
  $('#manual-amount-hint').textContent = limitsText(account);
}

function render(account) {
  renderLimits(account);
  const auto = account.auto_recharge;
  $('#auto-enabled').checked = auto.enabled;
  const initial = (amount) => (compareAmounts(amount, '0') === 0 ? '' : inputDollars(amount));
  $('#auto-balance').value = initial(auto.balance_amount);
  $('#auto-recharge').value = initial(auto.recharge_amount);
  const select = $('#manual-card');
  select.replaceChildren(
    ...account.cards.map((card) =>
      element('option', {
        value: String(card.card_id),
        selected: card.default,
        text: `${cardLabel(card)} (${card.masked_number})${card.default ? ', default' : ''}`,
      }),
    ),
  );
  select.disabled = account.cards.length === 0;
}

async function saveAuto(app, form) {
  clearErrors(form);
  const account = app.account;
  const balanceInput = $('#auto-balance');
  const rechargeInput = $('#auto-recharge');
  const errors = [];
  const threshold = parseDollars(balanceInput.value);
  if (!threshold.ok) errors.push([balanceInput, threshold.problem]);
  else if (compareAmounts(threshold.amount, '0') <= 0) {
    errors.push([balanceInput, 'The Balance Amount must be more than $0.00.']);
  }
  const recharge = checkRechargeAmount(account, rechargeInput.value);
  if (recharge.problem) errors.push([rechargeInput, recharge.problem]);
  if (errors.length) return showFieldErrors(form, errors);
  const enabled = $('#auto-enabled').checked;
  setBusy(form, true);
  const result = await request('PUT', accountPath(loadSession(), '/auto-recharge'), {
    enabled,
    balance_amount: threshold.amount,
    recharge_amount: recharge.amount,
  });
  setBusy(form, false);
  if (app.handleSessionError(result)) return;
  if (result.status !== 200) {
    const field = {
      below_minimum_recharge: rechargeInput,
      above_maximum_recharge: rechargeInput,
      above_velocity_cap: rechargeInput,
    }[result.body.error];
    const text = messageFor(result.body.error, 'auto-recharge');
    if (field) showFieldErrors(form, [[field, text]]);
    else formMessage(form, text, 'error');
    if (await app.refreshAccount()) renderLimits(app.account);
    return;
  }
  app.account = result.body;
  await app.refreshAccount();
  const saved = result.body.auto_recharge;
  let text = 'Automatic recharge is off.';
  if (saved.enabled) {
    text = `Automatic recharge is on: when your balance falls below ${formatDollars(saved.balance_amount)}, ` +
      `${formatDollars(saved.recharge_amount)} is charged to your default card.`;
    if (result.body.default_card_id === 0) text += ' Add a card under Billing: until then nothing can be charged.';
  }
  formMessage(form, text, 'success');
}

function showPending(form) {
  formMessage(
    form,
    'The card processor has not answered yet. Your recharge is recorded and will be credited ' +
      'at most once. Checking again…',
    'info',
  );
  $('#manual-check').hidden = false;
}

// Sends the current attempt; `checks` counts automatic re-checks of a pending answer.
async function sendAttempt(app, form, checks = 0) {
  clearTimeout(pendingTimer);
  setBusy(form, true);
  const body = { amount: attempt.amount, idempotency_key: attempt.key };
  if (attempt.cardId) body.card_id = Number(attempt.cardId);
  const result = await request('POST', accountPath(loadSession(), '/recharges'), body);
  setBusy(form, false);
  if (app.handleSessionError(result)) return;
  const code = result.body.error;
  if (result.status === 200) {
    const amount = attempt.amount;
    attempt = null;
    $('#manual-check').hidden = true;
    form.reset();
    await app.refreshAccount();
    render(app.account);
    formMessage(
      form,
      `Recharged ${formatDollars(amount)}. Your balance is ${formatDollars(result.body.balance)}.`,
      'success',
    );
    return;
  }
  if (result.status === 202) {
    showPending(form);
    if (checks < PENDING_CHECKS_MAX) {
      pendingTimer = setTimeout(() => attempt && sendAttempt(app, form, checks + 1), PENDING_CHECK_DELAY_MS);
    }
    return;
  }
  // No answer, or the ledger could not take it: the same attempt may be sent again with its
  // key. Everything else is final for this attempt: the next one gets a new key.
  const retryable = result.status === 0 || (result.status >= 500 && code !== 'gateway_unavailable');
  if (!retryable) {
    attempt = null;
    $('#manual-check').hidden = true;
  }
  const amountInput = $('#manual-amount');
  const text = messageFor(code, 'recharge');
  if (['below_minimum_recharge', 'above_maximum_recharge', 'invalid_amount'].includes(code)) {
    showFieldErrors(form, [[amountInput, text]]);
  } else {
    formMessage(form, retryable ? `${text} Press Recharge again to retry the same recharge.` : text, 'error');
  }
  // The limits may have changed since the page was drawn (support sets the maximum).
  if (await app.refreshAccount()) renderLimits(app.account);
}

async function recharge(app, form) {
  clearErrors(form);
  const account = app.account;
  if (account.cards.length === 0) {
    formMessage(form, messageFor('no_card'), 'error');
    return;
  }
  const amountInput = $('#manual-amount');
  const checked = checkRechargeAmount(account, amountInput.value);
  if (checked.problem) return showFieldErrors(form, [[amountInput, checked.problem]]);
  const cardId = $('#manual-card').value;
  if (!attempt || attempt.amount !== checked.amount || attempt.cardId !== cardId) {
    attempt = { key: newIdempotencyKey(), amount: checked.amount, cardId };
  }
  formMessage(form, `Charging ${formatDollars(checked.amount)} to your card…`);
  await sendAttempt(app, form);
}

export function init(app) {
  const autoForm = $('#auto-form');
  autoForm.addEventListener('submit', (event) => {
    event.preventDefault();
    saveAuto(app, autoForm);
  });
  const manualForm = $('#manual-form');
  manualForm.addEventListener('submit', (event) => {
    event.preventDefault();
    recharge(app, manualForm);
  });
  $('#manual-check').addEventListener('click', () => {
    if (attempt) sendAttempt(app, manualForm);
  });
}

export async function show(app) {
  for (const form of document.querySelectorAll('[data-page="payments"] form')) clearErrors(form);
  const account = await app.refreshAccount();
  if (account) render(account);
}
