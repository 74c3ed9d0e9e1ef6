// How a typed card number is read: the server's rule (ledger::card_number_digits), applied
// here only to say what is wrong before anything is sent. Digits, optionally in groups
// separated by single spaces or by single dashes (one kind per number), 12 to 19 digits in
// all. Both sides are tested on ledger/testdata/card_numbers.json.

const GROUPED = /^\d+(?:( |-)\d+(?:\1\d+)*)?$/;

// The digits, or null when the server would answer invalid_card.
export function cardNumberDigits(typed) {
  if (!GROUPED.test(typed)) return null;
  const digits = typed.replace(/[ -]/g, '');
  return digits.length >= 12 && digits.length <= 19 ? digits : null;
}
