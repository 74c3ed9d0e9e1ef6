// One human message for every error code of the API (docs/api.md, "Errors"), and for the
// ways a request can fail before the API answers. The server's own "message" is for
// developers; customers read these.

export const ERROR_MESSAGES = {
  malformed_request:
    'The request could not be understood. Please reload the page and try again.',
  invalid_amount: 'Enter an amount in dollars with at most two decimals, greater than zero.',
  below_minimum_recharge: 'The amount is below the minimum recharge.',
  above_maximum_recharge:
    'The amount is above this account’s maximum recharge. Contact support to raise the maximum.',
  invalid_card:
    'The card was not accepted. Check the card number, expiry date, security code and name on the card.',
  card_expired: 'The card has expired. Use a card with an expiry date in the future.',
  card_declined: 'Your card was declined. Nothing was charged. Try another card or contact your bank.',
  account_not_found: 'This account does not exist. Check the account number.',
  card_not_found: 'That card is no longer on your account. The list has been refreshed.',
  exists_with_different_fields:
    'This request was already made with different details. Nothing was changed; please try again.',
  account_exists: 'An account with this number already exists.',
  account_suspended: 'Your account is suspended.',
  insufficient_funds:
    'Your balance is used up and no automatic recharge is coming (it is off, failing, or paused by its daily limit). Make a manual recharge.',
  no_card: 'Add a card under Billing before recharging.',
  limit_exceeded: 'A limit was reached. Please wait a moment and try again.',
  gateway_unavailable:
    'The card processor is unavailable right now. Nothing was charged. Please try again in a few minutes.',
  storage_failure:
    'The billing service cannot save changes right now. Nothing was changed. Please try again later.',
  storage_full:
    'The billing service cannot save changes right now. Nothing was changed; your balance and history can still be viewed. Please try again later.',
  unauthorized: 'Your session has ended. Please log in again.',
  wrong_password: 'The account number or password is wrong.',
  temporary_credentials_expired:
    'Your temporary password has expired. Ask support for new temporary credentials.',
  password_change_required: 'Choose a new password before you continue.',
  too_many_attempts:
    'Too many failed attempts. Your login is locked for 15 minutes; support can unlock it by issuing temporary credentials.',
  password_mismatch: 'The new password and its confirmation are different.',
  weak_password:
    'The new password is too weak. Use 12 to 128 characters, not a common password, not your account number, and not one character repeated.',
  same_password: 'The new password must be different from the current one.',
  internal_error: 'Something went wrong on our side. Nothing was changed. Please try again.',
  // Holds are the usage platform's (calls in progress); a customer sees them only in reports.
  hold_not_found: 'That reservation for a call in progress no longer exists.',
  hold_expired: 'That reservation for a call in progress has expired and its money was released.',
  hold_released: 'That reservation for a call in progress was released.',
  hold_captured: 'That reservation for a call in progress was already charged.',
  card_unusable: 'Your bank refused this card for good (lost, stolen, expired or closed). Add another card and make it your default.',
  exceeds_hold: 'The amount is more than was reserved for the call.',
  above_velocity_cap:
    'The recharge amount is above the daily limit for automatic recharges on this account. Choose a lower amount or contact support.',
  // Not API codes: a request that got no answer, or an answer that is not ours.
  network: 'The billing service cannot be reached. Check your connection and try again.',
  unexpected: 'The billing service gave an unexpected answer. Please try again.',
};

// Messages that depend on where the error happened.
const CONTEXT_MESSAGES = {
  'password:wrong_password': 'The current password is wrong.',
  'card:limit_exceeded': 'An account holds at most 5 cards. Remove one before adding another.',
  'recharge:limit_exceeded':
    'Several recharges are still being processed. Wait for one to finish, then try again.',
  'debit:limit_exceeded': 'The service is busy. Please try again in a moment.',
};

// The message for an API error body ({error, message, hint}) in a context ("login",
// "password", "card", "recharge", "auto-recharge", ...).
export function messageFor(code, context = '') {
  return (
    CONTEXT_MESSAGES[`${context}:${code}`] ?? ERROR_MESSAGES[code] ?? ERROR_MESSAGES.unexpected
  );
}
