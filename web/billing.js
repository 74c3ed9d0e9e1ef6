// Billing: the account's cards (masked; add, remove, choose the default and the order of the
// backup cards) and the password
// change. Card numbers and security codes go from the form to the API in one request and
// are dropped from the form right after; the page never shows more than the last four digits.
import { accountPath, loadSession, request } from './api.js';
import { initChangePassword } from './auth.js';
import { cardNumberDigits } from './cards.js';
import { messageFor } from './messages.js';
import { $, clearErrors, element, formMessage, setBusy, showFieldErrors } from './ui.js';

const BRAND_NAMES = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
  jcb: 'JCB',
  diners: 'Diners Club',
};

function brandName(brand) {
  return BRAND_NAMES[brand] ?? 'Card';
}

export function cardLabel(card) {
  return `${brandName(card.brand)} ending in ${card.last4}`;
}

function expiry(card) {
  return `${String(card.exp_month).padStart(2, '0')}/${card.exp_year}`;
}

// The cards come in the account's order, default first: when an automatic recharge on the
// default card is declined, the backups are tried in this order (docs/api.md, "Cards").
function renderCards(app, cards) {
  const list = $('#cards-list');
  $('#cards-empty').hidden = cards.length > 0;
  let backups = 0;
  list.replaceChildren(
    ...cards.map((card, index) => {
      const backup = !card.default && !card.unusable ? ++backups : 0;
      const actions = element('div', { className: 'card-actions' });
      // A backup after the first one can move ahead of the backup before it.
      if (backup > 1) {
        actions.append(
          element('button', {
            type: 'button',
            className: 'secondary',
            text: 'Move up',
            'aria-label': `Move ${cardLabel(card)} up: try it as backup ${backup - 1}`,
            dataset: { action: 'up', cardId: String(card.card_id), index: String(index) },
          }),
        );
      }
      if (!card.default && !card.unusable) {
        actions.append(
          element('button', {
            type: 'button',
            className: 'secondary',
            text: 'Make default',
            'aria-label': `Make ${cardLabel(card)} the default card`,
            dataset: { action: 'default', cardId: String(card.card_id) },
          }),
        );
      }
      actions.append(
        element('button', {
          type: 'button',
          className: 'danger',
          text: 'Remove',
          'aria-label': `Remove ${cardLabel(card)}`,
          dataset: { action: 'remove', cardId: String(card.card_id) },
        }),
      );
      return element(
        'li',
        { className: card.default ? 'card is-default' : 'card', dataset: { cardId: String(card.card_id) } },
        element('span', { className: 'card-brand', text: brandName(card.brand) }),
        // Screen readers would read the mask as "star star star"; they get the last four.
        element(
          'span',
          { className: 'card-number' },
          element('span', { 'aria-hidden': 'true', text: card.masked_number }),
          element('span', { className: 'visually-hidden', text: `ending in ${card.last4}` }),
        ),
        element('span', { className: 'card-expiry', text: `Expires ${expiry(card)}` }),
        card.default ? element('span', { className: 'badge', text: 'Default' }) : '',
        backup ? element('span', { className: 'badge badge-backup', text: `Backup ${backup}` }) : '',
        // Refused for good by the bank (lost, stolen, expired, closed): never charged again.
        card.unusable
          ? element('span', { className: 'badge badge-unusable', text: 'Refused by your bank: replace this card' })
          : '',
        actions,
      );
    }),
  );
}

async function loadCards(app) {
  const result = await request('GET', accountPath(loadSession(), '/cards'));
  if (app.handleSessionError(result)) return null;
  if (result.status !== 200) {
    formMessage($('[data-page="billing"]'), messageFor(result.body.error), 'error');
    return null;
  }
  renderCards(app, result.body.cards);
  return result.body.cards;
}

// The order with the card at `index` moved ahead of the usable card before it.
function orderWithMovedUp(cards, index) {
  const ids = cards.map((card) => card.card_id);
  let before = index - 1;
  while (before > 0 && (cards[before].unusable || cards[before].default)) before -= 1;
  [ids[before], ids[index]] = [ids[index], ids[before]];
  return ids;
}

async function changeCard(app, action, cardId, index) {
  const section = $('[data-page="billing"]');
  const cards = app.account?.cards ?? [];
  const card = cards.find((candidate) => String(candidate.card_id) === cardId);
  const label = card ? cardLabel(card) : 'this card';
  if (action === 'remove' && !window.confirm(`Remove ${label} from your account?`)) return;
  const session = loadSession();
  let result;
  if (action === 'up') {
    result = await request('PUT', accountPath(session, '/cards/order'), {
      card_ids: orderWithMovedUp(cards, Number(index)),
    });
  } else {
    const path = action === 'remove' ? `/cards/${cardId}` : `/cards/${cardId}/default`;
    result = await request(action === 'remove' ? 'DELETE' : 'PUT', accountPath(session, path));
  }
  if (app.handleSessionError(result)) return;
  if (result.status !== 200) {
    formMessage(section, messageFor(result.body.error, 'card'), 'error');
    await loadCards(app);
    return;
  }
  renderCards(app, result.body.cards);
  await app.refreshAccount();
  const done = {
    remove: `${label} was removed.`,
    default: `${label} is now your default card.`,
    up: `${label} moved up: it is tried earlier when your default card is declined.`,
  };
  formMessage(section, done[action], 'success');
  // The clicked button is gone: keep keyboard focus in the list.
  $('#cards-title').setAttribute('tabindex', '-1');
  $('#cards-title').focus();
}

// The card fields checked in the browser; the server checks them again (and the Luhn digit).
function checkCard(form) {
  const value = (name) => form.elements.namedItem(name).value.trim();
  const input = (name) => form.elements.namedItem(name);
  const errors = [];
  // Sent as typed: the server reads it by the same rule (cards.js).
  const number = input('number').value;
  if (cardNumberDigits(number) === null) {
    errors.push([input('number'),
      'Enter the 12 to 19 digits of the card number, together or in groups separated by single spaces or dashes.']);
  }
  const month = Number(value('exp_month'));
  if (!/^\d{1,2}$/.test(value('exp_month')) || month < 1 || month > 12) {
    errors.push([input('exp_month'), 'Enter the expiry month, 1 to 12.']);
  }
  if (!/^\d{4}$/.test(value('exp_year'))) errors.push([input('exp_year'), 'Enter the expiry year with 4 digits.']);
  if (!/^\d{3,4}$/.test(value('cvc'))) errors.push([input('cvc'), 'Enter the 3 or 4 digit security code.']);
  if (value('holder_name') === '') errors.push([input('holder_name'), 'Enter the name on the card.']);
  const card = {
    number,
    exp_month: month,
    exp_year: Number(value('exp_year')),
    cvc: value('cvc'),
    holder_name: value('holder_name'),
  };
  return { errors, card };
}

const CARD_FIELD_OF_ERROR = { invalid_card: 'number', card_expired: 'exp_month' };

export function init(app) {
  $('#cards-list').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (button) changeCard(app, button.dataset.action, button.dataset.cardId, button.dataset.index);
  });
  const form = $('#add-card-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const { errors, card } = checkCard(form);
    if (errors.length) return showFieldErrors(form, errors);
    setBusy(form, true);
    formMessage(form, 'Checking the card with the card processor…');
    const result = await request('POST', accountPath(loadSession(), '/cards'), card);
    setBusy(form, false);
    if (app.handleSessionError(result)) return;
    if (result.status !== 201) {
      const field = CARD_FIELD_OF_ERROR[result.body.error];
      const text = messageFor(result.body.error, 'card');
      if (field) showFieldErrors(form, [[form.elements.namedItem(field), text]]);
      else formMessage(form, text, 'error');
      return;
    }
    form.reset();
    formMessage($('[data-page="billing"]'), ''); // the list's last message is stale now
    await loadCards(app);
    await app.refreshAccount();
    const added = result.body;
    formMessage(
      form,
      `${cardLabel(added)} was added${added.default ? ' as your default card' : ''}.`,
      'success',
    );
  });
  initChangePassword(app);
}

export async function show(app) {
  for (const form of document.querySelectorAll('[data-page="billing"] form')) clearErrors(form);
  formMessage($('[data-page="billing"]'), '');
  await app.refreshAccount();
  await loadCards(app);
}
