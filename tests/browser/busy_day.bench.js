// How the console's usage view copes with a busy day: one account with DEBITS usage debits
// today (default 100,000), then "Balance and history" in headless Chromium. Prints numbers;
// asserts nothing (docs/browser-console.md, "History of a day", quotes a run).
//
//   LEDGERD=build/apps/ledgerd/ledgerd LEDGERCTL=build/apps/ledgerctl/ledgerctl \
//     node tests/browser/busy_day.bench.js [DEBITS]
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LEDGERD = resolve(process.env.LEDGERD ?? join(repo, 'build/apps/ledgerd/ledgerd'));
const LEDGERCTL = resolve(process.env.LEDGERCTL ?? join(repo, 'build/apps/ledgerctl/ledgerctl'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const DEBITS = Number(process.argv[2] ?? 100000);
const BATCH = 1000; // the API's largest batch
const ACCOUNT = '7001';
const PASSWORD = 'violet kettle morning harbour';

const work = mkdtempSync(join(tmpdir(), 'busy-day-'));
const child = spawn(LEDGERD, [`--ledger.data-dir=${join(work, 'data')}`, '--net.stream-port=0',
  '--net.http-port=0', '--net.admin-port=0'], { cwd: work, stdio: ['ignore', 'pipe', 'ignore'] });
const ports = await new Promise((done, fail) => {
  let out = '';
  child.on('error', fail);
  child.stdout.on('data', (chunk) => {
    out += chunk;
    const ready = /ready stream=(\d+) http=(\d+) admin=(\d+)/.exec(out);
    if (ready) done({ http: Number(ready[2]), admin: Number(ready[3]) });
  });
});
const base = `http://127.0.0.1:${ports.http}`;
const key = readFileSync(join(work, 'data-platform.key'), 'utf8').trim();
const call = async (method, path, body, headers = { 'X-Platform-Key': key }) => {
  const response = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
};
const seconds = (start) => ((performance.now() - start) / 1000).toFixed(2);

try {
  await call('POST', '/v1/accounts', { id: ACCOUNT });
  await promisify(execFile)(LEDGERCTL, ['--port', String(ports.admin), '--secret-file',
    join(work, 'data-admin.secret'), '--operator', 'bench', '--json', 'adjust', ACCOUNT,
    '1000.00', '--reason', 'bench']);
  let start = performance.now();
  for (let first = 0; first < DEBITS; first += BATCH) {
    const debits = Array.from({ length: Math.min(BATCH, DEBITS - first) },
      (_, i) => ({ debit_id: String(first + i + 1), amount: '0.0035' }));
    const posted = await call('POST', `/v1/accounts/${ACCOUNT}/debits`, { debits });
    if (posted.status !== 200) throw new Error(JSON.stringify(posted.body));
  }
  console.log(`debits: ${DEBITS} posted in ${seconds(start)} s`);

  const { stdout } = await promisify(execFile)(LEDGERCTL, ['--port', String(ports.admin),
    '--secret-file', join(work, 'data-admin.secret'), '--operator', 'bench', '--json',
    'credentials', 'issue', ACCOUNT]);
  const temporary = JSON.parse(stdout).password;
  const login = await call('POST', '/v1/login', { login: ACCOUNT, password: temporary }, {});
  const token = login.body.session_token;
  await call('POST', `/v1/accounts/${ACCOUNT}/password`,
    { old_password: temporary, new_password: PASSWORD, confirm_password: PASSWORD },
    { Authorization: `Bearer ${token}` });

  start = performance.now();
  const usage = await call('GET', `/v1/accounts/${ACCOUNT}/usage`, undefined, { Authorization: `Bearer ${token}` });
  console.log(`GET .../usage (30 days): ${seconds(start)} s, today ${usage.body.periods.at(-1).usage.count} debits`);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  await context.addInitScript((session) => sessionStorage.setItem('contacto.session', JSON.stringify(session)),
    { token, accountId: ACCOUNT, passwordChangeRequired: false });
  const page = await context.newPage();
  const journalPages = [];
  page.on('request', (request) => {
    if (/\/journal\?from_seq=/.test(request.url())) journalPages.push(request.url());
  });
  start = performance.now();
  await page.goto(`${base}/console/#/overview`);
  await page.waitForFunction(() => document.body.dataset.usageDay, undefined, { timeout: 120000 });
  console.log(`overview with chart and today's history: ${seconds(start)} s, ` +
    `${journalPages.length} journal requests (${journalPages.length - 1} for the day, 1 for "Every entry")`);
  console.log(`  grouped line: ${(await page.locator('#day-rows tr.grouped').innerText()).replace(/\s+/g, ' ')}`);
  console.log(`  note: ${await page.locator('#day-note').textContent()}`);

  start = performance.now();
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 300000 }),
    page.getByRole('button', { name: 'Download this day’s journal (CSV)' }).click()]);
  const size = readFileSync(await download.path()).length;
  console.log(`the day's journal (CSV): ${(size / 1e6).toFixed(1)} MB saved in ${seconds(start)} s`);
  await browser.close();
} finally {
  child.kill('SIGTERM');
  await new Promise((done) => child.once('exit', done));
  rmSync(work, { recursive: true, force: true });
}
