// Money in the console: exact decimal strings, never binary floating point.
// The API sends amounts as strings with at least two decimals ("48.7465", "-0.0035") and
// takes them as strings ("25.00"). Customers type dollars and cents; comparisons use
// integer micro-dollars in BigInt, like the ledger (1 USD = 1,000,000).

const MICROS_PER_DOLLAR = 1000000n;
const API_AMOUNT = /^(-?)(\d+)(?:\.(\d{1,6}))?$/;
// What a customer may type: optional "$", digits (optionally grouped with commas), and at
// most two decimals. "25", "25.5", "$1,000.00".
const TYPED_AMOUNT = /^\$?\s*((?:\d{1,3}(?:,\d{3})+)|\d+)(?:\.(\d{1,2}))?$/;
// Far above any maximum recharge, and safely inside the ledger's 64-bit range.
const TYPED_DIGITS_MAX = 12;

// The amount in micro-dollars (BigInt) of an API amount string; throws on anything else.
export function toMicros(text) {
  const match = API_AMOUNT.exec(String(text));
  if (!match) throw new Error(`not an amount: ${text}`);
  const [, sign, whole, fraction = ''] = match;
  const micros = BigInt(whole) * MICROS_PER_DOLLAR + BigInt(fraction.padEnd(6, '0'));
  return sign === '-' ? -micros : micros;
}

// An API amount string ("25.00", "0.0035", "-1.50") from micro-dollars (BigInt).
export function fromMicros(micros) {
  const negative = micros < 0n;
  const absolute = negative ? -micros : micros;
  const whole = absolute / MICROS_PER_DOLLAR;
  let fraction = (absolute % MICROS_PER_DOLLAR).toString().padStart(6, '0').replace(/0+$/, '');
  fraction = fraction.padEnd(2, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

// What the customer typed, as {ok: true, amount: "25.00", micros} or {ok: false, problem}.
// `problem` is a sentence for people.
export function parseDollars(typed) {
  const text = String(typed ?? '').trim();
  if (text === '') return { ok: false, problem: 'Enter an amount in dollars, for example 25.00.' };
  if (text.startsWith('-')) return { ok: false, problem: 'The amount cannot be negative.' };
  const match = TYPED_AMOUNT.exec(text);
  if (!match) {
    return {
      ok: false,
      problem: 'Enter dollars and at most two decimals for cents, for example 25 or 25.50.',
    };
  }
  const whole = match[1].replaceAll(',', '').replace(/^0+(?=\d)/, '');
  if (whole.length > TYPED_DIGITS_MAX) return { ok: false, problem: 'That amount is too large.' };
  const amount = `${whole}.${(match[2] ?? '').padEnd(2, '0')}`;
  return { ok: true, amount, micros: toMicros(amount) };
}

// For people: "$1,234.50", "−$0.0035" (a real minus sign), every decimal the ledger holds.
export function formatDollars(text) {
  const amount = fromMicros(toMicros(text));
  const negative = amount.startsWith('-');
  const [whole, fraction] = (negative ? amount.slice(1) : amount).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '\u2212' : ''}$${grouped}.${fraction}`;
}

// The input form of an API amount: "25.00" for the "25.00" the account holds.
export function inputDollars(text) {
  return fromMicros(toMicros(text));
}

// `percent` % of an amount (string), exact, as an amount string (rounded down to micros).
export function percentOf(text, percent) {
  return fromMicros((toMicros(text) * BigInt(percent)) / 100n);
}

// -1, 0 or 1.
export function compareAmounts(a, b) {
  const x = toMicros(a);
  const y = toMicros(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
