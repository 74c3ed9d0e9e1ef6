// The customer billing console (web/) in headless Chromium against a real ledgerd: the
// embedded simulated card gateway, sessions required (as ledgerd runs by default), accounts
// created with the platform key, temporary credentials from the real `ledgerctl`.
//
//   LEDGERD=build/apps/ledgerd/ledgerd LEDGERCTL=build/apps/ledgerctl/ledgerctl \
//     node --test tests/browser/console.test.js
//
// CONSOLE_SCREENSHOTS=<dir> also writes a screenshot of each page there (docs/browser-console/
// is made this way); CI leaves it unset, so the committed screenshots are not rewritten.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const LEDGERD = process.env.LEDGERD ?? join(repo, 'build/apps/ledgerd/ledgerd');
const LEDGERCTL = process.env.LEDGERCTL ?? join(repo, 'build/apps/ledgerctl/ledgerctl');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS ? resolve(process.env.CONSOLE_SCREENSHOTS) : '';
const WAIT_MS = 30000; // generous: ctest runs other tests beside this one

const CUSTOMER = '4217';
const DECLINING_CUSTOMER = '4218';
const CAPPED_CUSTOMER = '4219';
const USAGE_CUSTOMER = '4220';
const NEW_PASSWORD = 'violet kettle morning harbour';

let work;
let server;
let ports;
let platformKey;
let browser;

// ---- ledgerd, the platform API and ledgerctl ------------------------------------------

function startLedgerd() {
  const child = spawn(
    LEDGERD,
    [
      `--ledger.data-dir=${join(work, 'data')}`,
      '--net.stream-port=0',
      '--net.http-port=0',
      '--net.admin-port=0',
    ],
    { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (chunk) => (log += chunk));
  return new Promise((resolveReady, rejectReady) => {
    let out = '';
    const timer = setTimeout(() => rejectReady(new Error(`ledgerd did not start:\n${log}`)), 30000);
    child.on('exit', (code) => rejectReady(new Error(`ledgerd exited (${code}):\n${log}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const ready = /ready stream=(\d+) http=(\d+) admin=(\d+)/.exec(out);
      if (ready) {
        clearTimeout(timer);
        resolveReady({ child, http: Number(ready[2]), admin: Number(ready[3]), log: () => log });
      }
    });
  });
}

const base = () => `http://127.0.0.1:${ports.http}`;

async function platform(method, path, body) {
  const response = await fetch(`${base()}${path}`, {
    method,
    headers: { 'X-Platform-Key': platformKey, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const account = async (id) => (await platform('GET', `/v1/accounts/${id}`)).body;

async function ledgerctl(...args) {
  const { stdout } = await promisify(execFile)(LEDGERCTL, [
    '--port', String(ports.admin),
    '--secret-file', join(work, 'data-admin.secret'),
    '--operator', 'browser-test',
    '--json',
    ...args,
  ]);
  return JSON.parse(stdout);
}

// Polls until `check(account)` holds; the last account view otherwise fails the test.
async function waitForAccount(id, check, what) {
  const deadline = Date.now() + WAIT_MS;
  let last;
  while (Date.now() < deadline) {
    last = await account(id);
    if (check(last)) return last;
    await new Promise((done) => setTimeout(done, 50));
  }
  assert.fail(`account ${id}: ${what}; last view ${JSON.stringify(last)}`);
}

// ---- the browser ------------------------------------------------------------------------

async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, ...options });
  // Chromium logs a Content-Security-Policy violation as a console error too; this says which
  // directive, for every page, in case a violation is only reported as an event.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // The API's refusals (4xx) are logged by Chromium as failed resources: expected here.
    const refusal = /Failed to load resource: the server responded with a status of 4\d\d/;
    if (message.type() === 'error' && !refusal.test(message.text())) {
      page.problems.push(`console error: ${message.text()}`);
    }
  });
  return page;
}

// The page `name` is drawn (app.js sets body[data-shown] after a page's data is shown).
async function onPage(page, name) {
  await page.waitForSelector(`body[data-shown="${name}"] [data-page="${name}"]:not([hidden])`, {
    timeout: WAIT_MS,
  });
}

const section = (page, name) => page.locator(`[data-page="${name}"]`);

async function screenshot(page, name) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

// Navigates with the main menu, by keyboard when asked.
async function openFromMenu(page, label, name) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
  await onPage(page, name);
}

async function expectFocusOnHeading(page, name) {
  const focused = await page.evaluate(() => document.activeElement?.id ?? '');
  const heading = await section(page, name).locator('h1').getAttribute('id');
  assert.equal(focused, heading, `focus should be on the ${name} page's heading`);
}

async function logIn(page, login, password) {
  await page.goto(`${base()}/`);
  await onPage(page, 'login');
  const form = section(page, 'login');
  await form.getByLabel('Account number').fill(login);
  await form.getByLabel('Password', { exact: true }).fill(password);
  await form.getByRole('button', { name: 'Log in' }).click();
}

// A customer created by the platform, with temporary credentials from support, logs in and
// chooses a password (through the forced change).
async function onboard(page, id) {
  assert.equal((await platform('POST', '/v1/accounts', { id })).status, 201);
  const issued = await ledgerctl('credentials', 'issue', id);
  await logIn(page, id, issued.password);
  await onPage(page, 'password');
  const form = section(page, 'password');
  await form.getByLabel('Temporary password').fill(issued.password);
  await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await form.getByLabel('Confirm new password').fill(NEW_PASSWORD);
  await form.getByRole('button', { name: 'Save password' }).click();
  await onPage(page, 'overview');
}

async function addCard(page, number, holder = 'Ada Lovelace') {
  const form = page.locator('#add-card-form');
  await form.getByLabel('Card number').fill(number);
  await form.getByLabel('Month (1-12)').fill('12');
  await form.getByLabel('Year (4 digits)').fill(String(new Date().getUTCFullYear() + 3));
  await form.getByLabel('Security code (CVC)').fill('123');
  await form.getByLabel('Name on the card').fill(holder);
  await form.getByRole('button', { name: 'Add card' }).click();
}

// Chooses the card ending in `last4` in the manual recharge's card list.
async function chooseCard(form, last4) {
  const select = form.getByLabel('Card');
  const value = await select.locator('option', { hasText: last4 }).getAttribute('value');
  await select.selectOption(value);
}

const message = (locator) => locator.locator('[data-message]').first();

// ---- set-up ---------------------------------------------------------------------------

before(async () => {
  for (const [name, path] of [['ledgerd', LEDGERD], ['ledgerctl', LEDGERCTL], ['chromium', CHROMIUM]]) {
    assert.ok(existsSync(path), `${name} not found at ${path} (scripts/setup.sh builds and installs it)`);
  }
  work = mkdtempSync(join(tmpdir(), 'browser-console-'));
  server = await startLedgerd();
  ports = server;
  platformKey = readFileSync(join(work, 'data-platform.key'), 'utf8').trim();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close();
  if (server) {
    server.child.kill('SIGTERM');
    await new Promise((done) => server.child.once('exit', done));
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

// ---- the tests --------------------------------------------------------------------------

test('the console reads a typed card number by the same rule as the server (one table for both)', async () => {
  const table = JSON.parse(readFileSync(join(repo, 'ledger/testdata/card_numbers.json'), 'utf8'));
  assert.ok(table.cases.length >= 20);
  const page = await newPage();
  await page.goto(`${base()}/console/`);
  await onPage(page, 'login');
  const read = await page.evaluate(async (cases) => {
    const { cardNumberDigits } = await import('/console/cards.js');
    return cases.map((row) => cardNumberDigits(row.typed));
  }, table.cases);
  assert.deepEqual(read, table.cases.map((row) => row.digits));
  await page.context().close();
});

test('every API error code in docs/api.md has a human message, and amounts are exact', async () => {
  const page = await newPage();
  await page.goto(`${base()}/console/`);
  await onPage(page, 'login');
  const api = readFileSync(join(repo, 'docs/api.md'), 'utf8');
  const errors = api.slice(api.indexOf('## Errors'), api.indexOf('## Limits'));
  const codes = [...new Set(errors.split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1].matchAll(/`([a-z_]+)`/g)].map((match) => match[1])))];
  assert.ok(codes.length >= 25, `found only ${codes.length} codes in docs/api.md`);
  const checked = await page.evaluate(async (list) => {
    const { ERROR_MESSAGES, messageFor } = await import('/console/messages.js');
    const money = await import('/console/money.js');
    return {
      missing: list.filter((code) => typeof ERROR_MESSAGES[code] !== 'string'),
      samples: list.map((code) => messageFor(code)),
      parsed: ['25', '25.5', '$1,000.05', '0.10', '25.001', '1e3', '-5', '', '25,00', '12.']
        .map((text) => { const r = money.parseDollars(text); return r.ok ? r.amount : null; }),
      shown: ['48.7465', '-0.0035', '1234567.00', '0.00'].map(money.formatDollars),
      percent: money.percentOf('10.00', 75),
    };
  }, codes);
  assert.deepEqual(checked.missing, []);
  for (const text of checked.samples) assert.ok(text.length > 20 && !/_/.test(text), text);
  assert.deepEqual(checked.parsed,
    ['25.00', '25.50', '1000.05', '0.10', null, null, null, null, null, null]);
  assert.deepEqual(checked.shown, ['$48.7465', '\u2212$0.0035', '$1,234,567.00', '$0.00']);
  assert.equal(checked.percent, '7.50');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('login with temporary credentials, forced password change, log out and in again (by keyboard)', async () => {
  const page = await newPage();
  assert.equal((await platform('POST', '/v1/accounts', { id: CUSTOMER })).status, 201);
  const issued = await ledgerctl('credentials', 'issue', CUSTOMER);

  await page.goto(`${base()}/`); // redirected to /console/
  await onPage(page, 'login');
  assert.match(page.url(), /\/console\/#\/login$/);
  await expectFocusOnHeading(page, 'login');
  await screenshot(page, 'login');

  // A wrong password: a human message, still on the login page.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'login-account');
  await page.keyboard.type(CUSTOMER);
  await page.keyboard.press('Tab');
  await page.keyboard.type('not the password at all');
  await page.keyboard.press('Enter');
  const login = section(page, 'login');
  await assert.doesNotReject(message(login).filter({ hasText: 'account number or password is wrong' }).waitFor());

  // The temporary password, by keyboard: the forced change and nothing else.
  await page.locator('#login-password').fill('');
  await page.locator('#login-password').focus();
  await page.keyboard.type(issued.password);
  await page.keyboard.press('Enter');
  await onPage(page, 'password');
  await expectFocusOnHeading(page, 'password');
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).isVisible(), false);
  await screenshot(page, 'password-change-required');
  // The other pages are not reachable with this session.
  await page.goto(`${base()}/console/#/payments`);
  await onPage(page, 'password');

  const forced = section(page, 'password');
  // Checked in the browser first: too short, and a confirmation that differs.
  await page.keyboard.press('Tab');
  await page.keyboard.type(issued.password);
  await page.keyboard.press('Tab');
  await page.keyboard.type('short');
  await page.keyboard.press('Tab');
  await page.keyboard.type('different');
  await page.keyboard.press('Enter');
  await forced.locator('#forced-new-error').filter({ hasText: '12 to 128 characters' }).waitFor();
  assert.equal(await forced.locator('#forced-confirm').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'forced-new');
  // Refused by the server: a common password (weak_password), with its human message.
  await forced.getByLabel('New password', { exact: true }).fill('password1234');
  await forced.getByLabel('Confirm new password').fill('password1234');
  await forced.getByLabel('Confirm new password').press('Enter');
  await message(forced).filter({ hasText: 'The new password is too weak' }).waitFor();
  assert.equal(await forced.locator('#forced-new').getAttribute('aria-invalid'), 'true');

  await forced.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await forced.getByLabel('Confirm new password').fill(NEW_PASSWORD);
  await forced.getByLabel('Confirm new password').press('Enter');
  await onPage(page, 'overview');
  await expectFocusOnHeading(page, 'overview');
  await message(section(page, 'overview')).filter({ hasText: 'Your password is saved' }).waitFor();
  assert.equal(await page.locator('#overview-balance').textContent(), '$0.00');

  // Log out (by keyboard), then in again with the new password.
  await page.locator('#logout-button').focus();
  await page.keyboard.press('Enter');
  await onPage(page, 'login');
  await message(login).filter({ hasText: 'You are logged out.' }).waitFor();
  // The page forgot the session.
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.locator('#login-account').focus();
  await page.keyboard.type(CUSTOMER);
  await page.keyboard.press('Tab');
  await page.keyboard.type(NEW_PASSWORD);
  await page.keyboard.press('Enter');
  await onPage(page, 'overview');
  // The temporary password was single use.
  const reuse = await fetch(`${base()}/v1/login`, {
    method: 'POST',
    body: JSON.stringify({ login: CUSTOMER, password: issued.password }),
  });
  assert.equal(reuse.status, 401);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('billing: a bad card is refused, cards are added masked, the default changes, one is removed', async () => {
  const page = await newPage();
  await logIn(page, CUSTOMER, NEW_PASSWORD);
  await onPage(page, 'overview');
  await openFromMenu(page, 'Billing', 'billing');
  await expectFocusOnHeading(page, 'billing');
  const form = page.locator('#add-card-form');

  // Checked in the browser: nothing is sent.
  await form.getByRole('button', { name: 'Add card' }).click();
  await form.locator('#card-number-error').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'card-number');
  // Refused by the processor's checks (Luhn): a human message, no card.
  await addCard(page, '4242424242424241');
  await form.locator('#card-number-error').filter({ hasText: 'The card was not accepted' }).waitFor();
  assert.equal((await account(CUSTOMER)).cards.length, 0);

  // A number typed with a stray separator is the server's invalid_card too: the same rule
  // (ledger/testdata/card_numbers.json) says so before anything is sent.
  await addCard(page, '  -  4242424242424242');
  await form.locator('#card-number-error').filter({ hasText: 'in groups separated by single spaces' }).waitFor();
  assert.equal((await account(CUSTOMER)).cards.length, 0);
  const typed = await platform('POST', `/v1/accounts/${CUSTOMER}/cards`, {
    number: '  -  4242424242424242', exp_month: 12, exp_year: 2099, cvc: '123', holder_name: 'A',
  });
  assert.equal(typed.status, 400);
  assert.equal(typed.body.error, 'invalid_card');

  await addCard(page, '4242 4242 4242 4242');
  await message(form).filter({ hasText: 'Visa ending in 4242 was added as your default card' }).waitFor();
  // The form forgets the number and the CVC.
  assert.equal(await form.getByLabel('Card number').inputValue(), '');
  assert.equal(await form.getByLabel('Security code (CVC)').inputValue(), '');
  await addCard(page, '5555555555554444', 'Ada L');
  await message(form).filter({ hasText: 'Mastercard ending in 4444 was added.' }).waitFor();

  const cards = page.locator('#cards-list');
  await cards.getByText('**** **** **** 4444').waitFor();
  const listed = await cards.textContent();
  assert.match(listed, /\*\*\*\* \*\*\*\* \*\*\*\* 4242/);
  assert.doesNotMatch(await page.content(), /4242424242424242|5555555555554444/);

  await cards.getByRole('button', { name: 'Make Mastercard ending in 4444 the default card' }).click();
  await message(section(page, 'billing')).filter({ hasText: 'is now your default card' }).waitFor();
  let view = await account(CUSTOMER);
  assert.equal(view.cards.find((card) => card.default).last4, '4444');

  // Remove the Visa, after confirming.
  page.once('dialog', (dialog) => dialog.accept());
  await cards.getByRole('button', { name: 'Remove Visa ending in 4242' }).click();
  await message(section(page, 'billing')).filter({ hasText: 'Visa ending in 4242 was removed.' }).waitFor();
  view = await account(CUSTOMER);
  assert.deepEqual(view.cards.map((card) => card.last4), ['4444']);
  // Declining the confirmation removes nothing.
  page.once('dialog', (dialog) => dialog.dismiss());
  await cards.getByRole('button', { name: 'Remove Mastercard ending in 4444' }).click();
  await page.waitForTimeout(300);
  assert.equal((await account(CUSTOMER)).cards.length, 1);

  // The visa again, for the screenshot and the payments below, and an Amex as a second
  // backup, which the customer then moves ahead of the visa (the order backups are tried in).
  await addCard(page, '4242424242424242');
  await message(form).filter({ hasText: 'Visa ending in 4242 was added.' }).waitFor();
  await cards.getByText('**** **** **** 4242').waitFor();
  await addCard(page, '3782 822463 10005');
  await message(form).filter({ hasText: 'American Express ending in 0005 was added.' }).waitFor();
  assert.deepEqual((await cards.locator('.badge').allTextContents()), ['Default', 'Backup 1', 'Backup 2']);
  assert.equal(await cards.getByRole('button', { name: /Move Visa ending in 4242 up/ }).count(), 0,
    'the first backup has nothing ahead of it but the default');
  await cards.getByRole('button', { name: 'Move American Express ending in 0005 up: try it as backup 1' }).click();
  await message(section(page, 'billing')).filter({ hasText: 'American Express ending in 0005 moved up' }).waitFor();
  view = await account(CUSTOMER);
  assert.deepEqual(view.cards.map((card) => card.last4), ['4444', '0005', '4242']);
  assert.match(await cards.locator('li').nth(1).textContent(), /0005.*Backup 1/s);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cards-title');
  await screenshot(page, 'billing');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('billing: change the password with old, new and confirm', async () => {
  const page = await newPage();
  await logIn(page, CUSTOMER, NEW_PASSWORD);
  await onPage(page, 'overview');
  await openFromMenu(page, 'Billing', 'billing');
  const form = page.locator('#change-password-form');
  await form.getByLabel('Current password').fill('not my password 123');
  await form.getByLabel('New password', { exact: true }).fill('another fine passphrase');
  await form.getByLabel('Confirm new password').fill('another fine passphrase');
  await form.getByRole('button', { name: 'Change password' }).click();
  await form.locator('#change-old-error').filter({ hasText: 'The current password is wrong.' }).waitFor();
  await form.getByLabel('Current password').fill(NEW_PASSWORD);
  await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await form.getByLabel('Confirm new password').fill(NEW_PASSWORD);
  await form.getByRole('button', { name: 'Change password' }).click();
  await message(form).filter({ hasText: 'must be different from the current one' }).waitFor();
  await form.getByLabel('Current password').fill(NEW_PASSWORD);
  await form.getByLabel('New password', { exact: true }).fill('another fine passphrase');
  await form.getByLabel('Confirm new password').fill('another fine passphrase');
  await form.getByRole('button', { name: 'Change password' }).click();
  await message(form).filter({ hasText: 'Your password is changed.' }).waitFor();
  // And back, so the other tests keep their password; the session stays valid throughout.
  await form.getByLabel('Current password').fill('another fine passphrase');
  await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await form.getByLabel('Confirm new password').fill(NEW_PASSWORD);
  await form.getByRole('button', { name: 'Change password' }).click();
  await message(form).filter({ hasText: 'Your password is changed.' }).waitFor();
  const login = await fetch(`${base()}/v1/login`, {
    method: 'POST',
    body: JSON.stringify({ login: CUSTOMER, password: NEW_PASSWORD }),
  });
  assert.equal(login.status, 200);
  await page.context().close();
});

test('payments: auto-recharge within the minimum and maximum, and a manual recharge', async () => {
  const page = await newPage();
  await logIn(page, CUSTOMER, NEW_PASSWORD);
  await onPage(page, 'overview');
  await openFromMenu(page, 'Payments', 'payments');
  const limits = await page.locator('#payments-limits').textContent();
  assert.match(limits, /\$25\.00 \(the minimum\) and \$1,000\.00 \(this account’s maximum\)/);

  const auto = page.locator('#auto-form');
  await auto.getByLabel('Recharge my balance automatically').check();
  await auto.getByLabel('Balance Amount (dollars)').fill('10');
  // Below the minimum and above the maximum: refused in the page, nothing changes.
  await auto.getByLabel('Recharge Amount (dollars)').fill('24.99');
  await auto.getByRole('button', { name: 'Save automatic recharge' }).click();
  await auto.locator('#auto-recharge-error').filter({ hasText: 'The minimum recharge is $25.00.' }).waitFor();
  await auto.getByLabel('Recharge Amount (dollars)').fill('1000.01');
  await auto.getByRole('button', { name: 'Save automatic recharge' }).click();
  await auto.locator('#auto-recharge-error').filter({ hasText: 'maximum recharge is $1,000.00' }).waitFor();
  await auto.getByLabel('Recharge Amount (dollars)').fill('25.5.0');
  await auto.getByRole('button', { name: 'Save automatic recharge' }).click();
  await auto.locator('#auto-recharge-error').filter({ hasText: 'at most two decimals' }).waitFor();
  assert.equal((await account(CUSTOMER)).auto_recharge.enabled, false);

  await auto.getByLabel('Recharge Amount (dollars)').fill('$30');
  await auto.getByRole('button', { name: 'Save automatic recharge' }).click();
  await message(auto).filter({ hasText: 'Automatic recharge is on: when your balance falls below $10.00, $30.00' }).waitFor();
  // Enabled below the threshold (the balance is $0.00): the default card is charged at once.
  let view = await waitForAccount(CUSTOMER, (a) => a.balance === '30.00', 'the automatic recharge');
  assert.deepEqual(view.auto_recharge, { enabled: true, balance_amount: '10.00', recharge_amount: '30.00' });

  // A manual recharge of $50.00.
  const manual = page.locator('#manual-form');
  assert.match(await manual.getByLabel('Card').locator('option:checked').textContent(), /4444/);
  await manual.getByLabel('Amount (dollars)').fill('10');
  await manual.getByRole('button', { name: 'Recharge' }).click();
  await manual.locator('#manual-amount-error').filter({ hasText: 'The minimum recharge is $25.00.' }).waitFor();
  await manual.getByLabel('Amount (dollars)').fill('50');
  await chooseCard(manual, '4242');
  await manual.getByRole('button', { name: 'Recharge' }).click();
  await message(manual).filter({ hasText: 'Recharged $50.00. Your balance is $80.00.' }).waitFor();
  view = await account(CUSTOMER);
  assert.equal(view.balance, '80.00');
  await screenshot(page, 'payments');

  // Support lowers the maximum while the page is open: the server refuses, the page says
  // why, and nothing is charged.
  await ledgerctl('limit', 'set', CUSTOMER, '100', '--reason', 'browser test: a lower maximum');
  await manual.getByLabel('Amount (dollars)').fill('500');
  await manual.getByRole('button', { name: 'Recharge' }).click();
  await manual.locator('#manual-amount-error').filter({ hasText: 'Contact support to raise the maximum' }).waitFor();
  assert.equal((await account(CUSTOMER)).balance, '80.00');
  // The page now shows the new maximum.
  await page.locator('#payments-limits').filter({ hasText: '$100.00 (this account’s maximum)' }).waitFor();

  // The history shows the recharges, newest first, in dollars.
  await openFromMenu(page, 'Balance and history', 'overview');
  assert.equal(await page.locator('#overview-balance').textContent(), '$80.00');
  const rows = page.locator('#history-rows tr');
  assert.equal(await rows.count(), 2);
  // Each entry with its time (the browser's time zone) and in the words customers use.
  const newest = await rows.nth(0).locator('td').allTextContents();
  assert.match(newest[1], /^\w{3} \d+, \d{4}, \d+:\d{2} [AP]M$/);
  assert.deepEqual([newest[0], ...newest.slice(2)], ['#2', 'Recharge', '$50.00', '$80.00', '2']);
  const oldest = await rows.nth(1).locator('td').allTextContents();
  assert.deepEqual([oldest[0], ...oldest.slice(2, 5)], ['#1', 'Automatic recharge', '$30.00', '$30.00']);
  await screenshot(page, 'overview');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('history pages newest first', async () => {
  // 45 usage debits: three pages of 20.
  const debits = Array.from({ length: 45 }, (_, i) => ({ debit_id: String(1000 + i), amount: '0.0125' }));
  const posted = await platform('POST', `/v1/accounts/${CUSTOMER}/debits`, { debits });
  assert.equal(posted.status, 200);
  const page = await newPage();
  await logIn(page, CUSTOMER, NEW_PASSWORD);
  await onPage(page, 'overview');
  const range = page.locator('#history-range');
  await range.filter({ hasText: 'Entries 28 to 47 of 47, newest first.' }).waitFor();
  const newest = await page.locator('#history-rows tr').first().locator('td').allTextContents();
  assert.deepEqual([newest[0], ...newest.slice(2, 5)], ['#47', 'Calls and messages', '\u2212$0.0125', '$79.4375']);
  assert.equal(await page.locator('#history-newer').isDisabled(), true);
  await page.locator('#history-older').click();
  await range.filter({ hasText: 'Entries 8 to 27 of 47' }).waitFor();
  // The last page by keyboard: the used button is disabled, focus stays on the pager.
  await page.locator('#history-older').focus();
  await page.keyboard.press('Enter');
  await range.filter({ hasText: 'Entries 1 to 7 of 47' }).waitFor();
  assert.equal(await page.locator('#history-older').isDisabled(), true);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'history-newer');
  assert.equal(await page.locator('#history-rows tr').count(), 7);
  await page.locator('#history-newer').click();
  await range.filter({ hasText: 'Entries 8 to 27 of 47' }).waitFor();
  await page.context().close();
});

test('money held by calls in progress is shown with what is still available', async () => {
  const held = await platform('POST', `/v1/accounts/${CUSTOMER}/holds`,
    { hold_id: '501', amount: '9.4375', expires_in_ms: 600000 });
  assert.equal(held.status, 200);
  const page = await newPage();
  await logIn(page, CUSTOMER, NEW_PASSWORD);
  await onPage(page, 'overview');
  await page.locator('#overview-held').filter({ hasText: 'reserved for 1 call' }).waitFor();
  assert.equal(await page.locator('#overview-balance').textContent(), '$79.4375');
  assert.equal(await page.locator('#overview-available').textContent(), '$70.00');
  assert.match(await page.locator('#overview-held').textContent(), /^\$9\.4375 reserved for 1 call;/);
  await screenshot(page, 'overview-holds');
  assert.equal((await platform('POST', `/v1/accounts/${CUSTOMER}/holds/501/release`, {})).status, 200);
  await page.context().close();
  const after = await newPage();
  await logIn(after, CUSTOMER, NEW_PASSWORD);
  await onPage(after, 'overview');
  await after.locator('#overview-held').filter({ hasText: 'None.' }).waitFor();
  assert.equal(await after.locator('#overview-available').textContent(), '$79.4375');
  await after.context().close();
});

test('automatic recharges paused by the daily limit: the overview and the banner say until when', async () => {
  const page = await newPage();
  await onboard(page, CAPPED_CUSTOMER);
  await openFromMenu(page, 'Billing', 'billing');
  await addCard(page, '4242424242424242');
  await message(page.locator('#add-card-form')).filter({ hasText: 'ending in 4242 was added' }).waitFor();
  // Support allows one automatic recharge a day on this account (audited, with a reason).
  const capped = await ledgerctl('cap', 'set', CAPPED_CUSTOMER, '1', '100.00', '--reason', 'browser test');
  assert.equal(capped.account.limits.velocity_cap.source, 'account');
  await openFromMenu(page, 'Payments', 'payments');
  const auto = page.locator('#auto-form');
  await auto.getByLabel('Recharge my balance automatically').check();
  await auto.getByLabel('Balance Amount (dollars)').fill('10.00');
  await auto.getByLabel('Recharge Amount (dollars)').fill('25.00');
  await auto.getByRole('button', { name: 'Save automatic recharge' }).click();
  await message(auto).filter({ hasText: 'Automatic recharge is on' }).waitFor();
  // $0.00 is below $10.00: the one recharge of the day is made at once; usage then spends it.
  await waitForAccount(CAPPED_CUSTOMER, (a) => a.balance === '25.00', 'the first recharge');
  const spent = await platform('POST', `/v1/accounts/${CAPPED_CUSTOMER}/debits`, { debit_id: '1', amount: '30.00' });
  assert.equal(spent.status, 200, JSON.stringify(spent.body));
  const paused = await waitForAccount(CAPPED_CUSTOMER, (a) => a.velocity_cap.held_back, 'held back');
  assert.equal(paused.balance, '-5.00');
  assert.equal(paused.charges_in_flight.length, 0);
  const refused = await platform('POST', `/v1/accounts/${CAPPED_CUSTOMER}/debits`, { debit_id: '2', amount: '1.00' });
  assert.equal(refused.body.error, 'insufficient_funds');

  await openFromMenu(page, 'Balance and history', 'overview');
  const banner = page.locator('#account-banner');
  await banner.filter({ hasText: 'Automatic recharges are paused' }).waitFor();
  assert.match(await banner.textContent(), /One automatic recharge \(\$25\.00\) was made in the last 24 hours.*They resume on \w{3} \d+, \d{4}/s);
  assert.match(await page.locator('#overview-velocity').textContent(),
    /^Paused until \w{3} \d+, \d{4}.*: 1 of 1 automatic recharges \(\$25\.00 of \$100\.00\) were made, the daily limit\./);
  await screenshot(page, 'velocity-cap');
  // A manual recharge keeps the customer going; the pause stays until the window frees.
  await banner.getByRole('link', { name: 'Recharge now' }).click();
  await onPage(page, 'payments');
  const manual = page.locator('#manual-form');
  await manual.getByLabel('Amount (dollars)').fill('25');
  await manual.getByRole('button', { name: 'Recharge' }).click();
  await message(manual).filter({ hasText: 'Recharged $25.00. Your balance is $20.00.' }).waitFor();
  assert.equal((await account(CAPPED_CUSTOMER)).velocity_cap.charges_used, 1, 'manual recharges are not capped');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('notifications: the low-balance alert is set and what happened is listed in words', async () => {
  const page = await newPage();
  await logIn(page, CUSTOMER, NEW_PASSWORD);
  await onPage(page, 'overview');
  const form = page.locator('#threshold-form');
  assert.equal(await form.getByLabel(/Tell me when my available balance falls/).inputValue(), '5.00');
  await form.getByLabel(/Tell me when my available balance falls/).fill('-3');
  await form.getByRole('button', { name: 'Save alert' }).click();
  await form.locator('#threshold-amount-error').filter({ hasText: 'cannot be negative' }).waitFor();
  await form.getByLabel(/Tell me when my available balance falls/).fill('100');
  await form.getByRole('button', { name: 'Save alert' }).click();
  await message(form).filter({ hasText: 'falls below $100.00' }).waitFor();
  assert.equal((await account(CUSTOMER)).notification_threshold, '100.00');
  // The balance is below $100 already: told at once, and listed.
  const list = page.locator('#notifications-list');
  await list.locator('li').filter({ hasText: 'below your alert at $100.00' }).first().waitFor();
  const items = await list.locator('li').allTextContents();
  assert.ok(items.some((text) => /was charged to your card/.test(text)), items.join(' | '));
  await screenshot(page, 'notifications');
  await form.getByLabel(/Tell me when my available balance falls/).fill('0');
  await form.getByRole('button', { name: 'Save alert' }).click();
  await message(form).filter({ hasText: 'Low-balance alerts are off.' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a declining card exhausts every retry tier: the suspended banner says what to do', async () => {
  const page = await newPage();
  await onboard(page, DECLINING_CUSTOMER);
  await openFromMenu(page, 'Billing', 'billing');
  await addCard(page, '4000000000000341'); // attaches, then declines every charge
  await message(page.locator('#add-card-form')).filter({ hasText: 'ending in 0341 was added' }).waitFor();
  await openFromMenu(page, 'Payments', 'payments');
  const auto = page.locator('#auto-form');
  await auto.getByLabel('Recharge my balance automatically').check();
  await auto.getByLabel('Balance Amount (dollars)').fill('10.00');
  await auto.getByLabel('Recharge Amount (dollars)').fill('25.00');
  await auto.getByRole('button', { name: 'Save automatic recharge' }).click();
  await message(auto).filter({ hasText: 'Automatic recharge is on' }).waitFor();

  // The balance is $0.00, below the threshold: tier 0 is tried at once and declined. Each
  // usage debit then tries the next tier (75, 50, 25, 0 %), which is declined too.
  await waitForAccount(DECLINING_CUSTOMER, (a) => a.retry_tier === 1 && a.charges_in_flight.length === 0, 'tier 0 declined');
  await openFromMenu(page, 'Balance and history', 'overview');
  await page.locator('#account-banner').filter({ hasText: 'An automatic recharge failed' }).waitFor();
  assert.match(await page.locator('#overview-tier').textContent(), /Retry 1 of 4 .* 75 % of the Balance Amount \(\$7\.50\)/);
  await screenshot(page, 'retry-tier');
  for (let debit = 1; debit <= 4; debit += 1) {
    const answer = await platform('POST', `/v1/accounts/${DECLINING_CUSTOMER}/debits`, {
      debit_id: String(debit),
      amount: '0.50',
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const tier = debit === 4 ? 'exhausted' : debit + 1;
    await waitForAccount(DECLINING_CUSTOMER, (a) => a.retry_tier === tier && a.charges_in_flight.length === 0, `tier ${debit} declined`);
  }
  const suspended = await account(DECLINING_CUSTOMER);
  assert.equal(suspended.state, 'suspended');
  assert.equal(suspended.suspension_cause, 'retries_exhausted');
  assert.equal(suspended.balance, '-2.00');
  const refused = await platform('POST', `/v1/accounts/${DECLINING_CUSTOMER}/debits`, { debit_id: '9', amount: '0.50' });
  assert.equal(refused.body.error, 'account_suspended');

  await page.getByRole('button', { name: 'Refresh' }).click();
  const banner = page.locator('#account-banner');
  await banner.filter({ hasText: 'Your account is suspended' }).waitFor();
  assert.equal(await banner.getAttribute('role'), 'alert');
  assert.match(await banner.textContent(),
    /failed at every retry level.*make a manual recharge that brings your balance \(now −\$2\.00\) above \$0\.00/s);
  assert.equal(await page.locator('#overview-state').textContent(), 'Suspended: automatic recharges failed');
  await screenshot(page, 'suspended');

  // What the banner says to do: a card that works, then a manual recharge lifts it.
  await banner.getByRole('link', { name: 'Manage cards' }).click();
  await onPage(page, 'billing');
  await addCard(page, '4242424242424242');
  await message(page.locator('#add-card-form')).filter({ hasText: 'Visa ending in 4242 was added.' }).waitFor();
  await banner.getByRole('link', { name: 'Recharge now' }).click();
  await onPage(page, 'payments');
  const manual = page.locator('#manual-form');
  await chooseCard(manual, '4242');
  await manual.getByLabel('Amount (dollars)').fill('25');
  await manual.getByRole('button', { name: 'Recharge' }).click();
  await message(manual).filter({ hasText: 'Recharged $25.00. Your balance is $23.00.' }).waitFor();
  await banner.waitFor({ state: 'hidden' });
  const restored = await account(DECLINING_CUSTOMER);
  assert.equal(restored.state, 'active');
  assert.equal(restored.retry_tier, 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a declined manual recharge says so and charges nothing; suspension by support says to contact support', async () => {
  const page = await newPage();
  await logIn(page, DECLINING_CUSTOMER, NEW_PASSWORD);
  await onPage(page, 'overview');
  await openFromMenu(page, 'Payments', 'payments');
  const manual = page.locator('#manual-form');
  await chooseCard(manual, '0341');
  await manual.getByLabel('Amount (dollars)').fill('30');
  await manual.getByRole('button', { name: 'Recharge' }).click();
  await message(manual).filter({ hasText: 'Your card was declined. Nothing was charged.' }).waitFor();
  assert.equal((await account(DECLINING_CUSTOMER)).balance, '23.00');

  await ledgerctl('suspend', DECLINING_CUSTOMER, '--reason', 'browser test: chargeback review');
  await openFromMenu(page, 'Balance and history', 'overview');
  const banner = page.locator('#account-banner');
  await banner.filter({ hasText: 'Support suspended this account' }).waitFor();
  assert.match(await banner.textContent(), /contact support/);
  assert.equal(await page.locator('#overview-state').textContent(), 'Suspended by support');
  await page.context().close();
});

// Exact amounts in the test too: "11.75" -> 11750000n micro-dollars.
function micros(text) {
  const match = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(text);
  assert.ok(match, `not an amount: ${text}`);
  const value = BigInt(match[2]) * 1000000n + BigInt((match[3] ?? '').padEnd(6, '0'));
  return match[1] ? -value : value;
}

// Saves the file a button downloads and parses it as CSV (RFC 4180, csv-parse).
async function downloadCsv(page, button) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT_MS }), button.click()]);
  const text = readFileSync(await download.path(), 'utf8');
  assert.ok(text.endsWith('\r\n'), 'RFC 4180 lines end in CRLF');
  return { name: download.suggestedFilename(), rows: parseCsv(text, { columns: true, strict: true }) };
}

async function debitBatches(id, count, amount, firstId) {
  for (let start = 0; start < count; start += 1000) {
    const size = Math.min(1000, count - start);
    const debits = Array.from({ length: size }, (_, i) => ({ debit_id: String(firstId + start + i), amount }));
    const posted = await platform('POST', `/v1/accounts/${id}/debits`, { debits });
    assert.equal(posted.status, 200, JSON.stringify(posted.body).slice(0, 300));
  }
}

const utcDay = () => new Date().toISOString().slice(0, 10);

test('usage: the 30-day chart and its table, a day with its calls grouped, the CSV statement and journal', async (t) => {
  // The customer's browser is in New York: days are UTC days, times are shown in New York's.
  const page = await newPage({ timezoneId: 'America/New_York' });
  await onboard(page, USAGE_CUSTOMER);
  const dayBefore = utcDay();
  // Support credits $50.00, 100 calls of $0.0125, then a recharge of $25.00 on a card.
  await ledgerctl('adjust', USAGE_CUSTOMER, '50.00', '--reason', 'browser test: usage');
  await debitBatches(USAGE_CUSTOMER, 100, '0.0125', 1);
  const card = await platform('POST', `/v1/accounts/${USAGE_CUSTOMER}/cards`, {
    number: '4242424242424242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, cvc: '123', holder_name: 'Ada',
  });
  assert.equal(card.status, 201, JSON.stringify(card.body));
  const recharge = await platform('POST', `/v1/accounts/${USAGE_CUSTOMER}/recharges`,
    { amount: '25.00', idempotency_key: 'usage-1' });
  assert.equal(recharge.status, 200, JSON.stringify(recharge.body));
  assert.equal(recharge.body.balance, '73.75');

  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.waitForFunction(() => document.body.dataset.usageDay && document.querySelector('#day-rows tr.grouped'));
  // The chart is drawn (uPlot, on canvas), and its text alternative has the exact totals.
  assert.ok(await page.locator('#usage-chart canvas').count() >= 1, 'the chart has a canvas');
  assert.equal(await page.locator('#usage-chart').getAttribute('aria-hidden'), 'true');
  const summary = await page.locator('#usage-summary').textContent();
  assert.match(summary, /\$1\.25 spent on 100 calls and messages; 1 recharge of \$25\.00 in all; 1 adjustment by support \(\$50\.00\)\. Balance \$0\.00 at the start, \$73\.75 at the end\./);
  assert.equal(await page.locator('#usage-rows tr').count(), 30, 'every one of the 30 days');
  // Hovering the last day shows its exact amounts in the chart's legend; clicking it picks it.
  const over = page.locator('#usage-chart .u-over');
  const box = await over.boundingBox();
  await over.hover({ position: { x: box.width - 2, y: box.height / 2 } });
  assert.deepEqual(await page.locator('#usage-chart .u-legend .u-value').allTextContents(),
    [await page.locator('#usage-rows tr th').first().textContent().then((day) => day.replace(/^\w+, /, '')), '$1.25', '$73.75']);
  await page.locator('#day-select').selectOption({ index: 29 });
  await over.click({ position: { x: box.width - 2, y: box.height / 2 } });
  await page.waitForFunction(() => document.querySelector('#day-select').selectedIndex === 0);
  const sameDay = dayBefore === utcDay();
  if (!sameDay) t.diagnostic('the entries straddle midnight UTC: the one-day checks are skipped');
  if (sameDay) {
    const today = await page.locator('#usage-rows tr').first().locator('th, td').allTextContents();
    assert.deepEqual(today.slice(1), ['100', '$1.25', '1 × $25.00', '$50.00', '$73.75']);
    // The day's history: the calls in one line with their count and sum, the rest one per
    // line, newest first, with their times in the browser's time zone (and it says so).
    const rows = page.locator('#day-rows tr');
    assert.equal(await rows.count(), 3);
    const grouped = await rows.nth(0).locator('th, td').allTextContents();
    assert.equal(grouped[0], 'Calls and messages — 100 ×');
    // The first and the last call's times ("Dec 6, 2026, 10:01:02 PM to 10:01:03 PM").
    assert.match(grouped[1], /^\w{3} \d+, \d{4}, \d+:\d{2}:\d{2} [AP]M( to (\w{3} \d+, \d{4}, )?\d+:\d{2}:\d{2} [AP]M)?$/);
    assert.equal(grouped[2], '\u2212$1.25');
    const [rechargeRow, adjustmentRow] = [
      await rows.nth(1).locator('th, td').allTextContents(),
      await rows.nth(2).locator('th, td').allTextContents(),
    ];
    assert.deepEqual([rechargeRow[0], ...rechargeRow.slice(2)], ['Recharge', '$25.00', '$73.75']);
    assert.deepEqual([adjustmentRow[0], ...adjustmentRow.slice(2)], ['Adjustment by support', '$50.00', '$50.00']);
    assert.match(await page.locator('#day-zone').textContent(), /your time zone \(America\/New_York\)/);
    assert.doesNotMatch(await page.locator('#day-note').textContent(), /newest|more/);
  }
  await screenshot(page, 'usage');

  // A busy day: 3,000 more calls. The day's history reads at most three journal pages (the
  // newest 3,000 entries) and says what it left out; the grouped line stays exact.
  await debitBatches(USAGE_CUSTOMER, 3000, '0.0035', 1000);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.locator('#usage-summary').filter({ hasText: '$11.75 spent on 3,100 calls and messages' }).waitFor();
  if (sameDay && dayBefore === utcDay()) {
    await page.locator('#day-rows tr.grouped th').filter({ hasText: 'Calls and messages — 3,100 ×' }).waitFor();
    assert.equal(await page.locator('#day-rows tr.grouped td.number').first().textContent(), '\u2212$11.75');
    assert.match(await page.locator('#day-note').textContent(),
      /This day has 3,102 entries; the newest 3,000 were read here\. And 2 more recharges or adjustments earlier in the day/);
    await screenshot(page, 'usage-busy-day');
    // What the page did not read is in the day's journal: every entry of the day.
    const dayJournal = await downloadCsv(page, page.getByRole('button', { name: 'Download this day’s journal (CSV)' }));
    assert.equal(dayJournal.rows.length, 3102);
    assert.ok(dayJournal.rows.every((row) => row.time.startsWith(dayBefore)), 'only the day’s entries');
  }

  // The statement of the 30 days, saved with the session's token: a row per day and a total
  // row that reconciles (opening + recharges + adjustments - usage = closing).
  const statement = await downloadCsv(page, page.getByRole('button', { name: 'Download statement (CSV)' }));
  assert.match(statement.name, new RegExp(`^statement-${USAGE_CUSTOMER}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  assert.equal(statement.rows.length, 31);
  const total = statement.rows.at(-1);
  assert.equal(total.period_start, 'total');
  assert.deepEqual(
    [total.usage_count, total.recharge_count, total.adjustment_count].map(Number), [3100, 1, 1]);
  assert.equal(micros(total.usage_amount), micros('11.75'));
  assert.equal(micros(total.closing_balance), micros('63.25'));
  assert.equal(micros(total.opening_balance) + micros(total.recharge_amount) +
    micros(total.adjustment_amount) - micros(total.usage_amount), micros(total.closing_balance));
  const days = statement.rows.slice(0, -1);
  assert.equal(days.reduce((sum, row) => sum + micros(row.usage_amount), 0n), micros(total.usage_amount));
  assert.equal(days.at(-1).closing_balance, total.closing_balance);
  await message(page.locator('#usage-view')).filter({ hasText: 'The statement is downloaded' }).waitFor();

  // The journal of the 30 days: every entry, in words, adding up to the balance.
  const journal = await downloadCsv(page, page.getByRole('button', { name: 'Download journal (CSV)' }));
  assert.equal(journal.rows.length, 3102);
  assert.deepEqual(Object.keys(journal.rows[0]),
    ['time', 'seq', 'kind', 'description', 'amount', 'balance_after', 'reference']);
  assert.deepEqual([...new Set(journal.rows.map((row) => row.description))].sort(),
    ['Adjustment by support', 'Calls and messages', 'Recharge']);
  assert.equal(journal.rows.reduce((sum, row) => sum + micros(row.amount), 0n), micros('63.25'));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an ended session goes back to the login page with a message', async () => {
  const page = await newPage();
  await logIn(page, CUSTOMER, NEW_PASSWORD);
  await onPage(page, 'overview');
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('contacto.session')).token);
  await fetch(`${base()}/v1/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  await openFromMenu(page, 'Billing', 'login').catch(() => {});
  await onPage(page, 'login');
  await message(section(page, 'login')).filter({ hasText: 'Your session has ended' }).waitFor();
  await page.context().close();
});
