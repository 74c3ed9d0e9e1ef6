// Usage at a glance on "Balance and history" (issue 19): the last 30 days as a chart and a
// table (GET .../usage), one day's history with its calls and messages grouped into one line
// (GET .../journal, a few pages at most), and the CSV statement and journal of the period
// (GET .../statement?format=csv, .../journal?format=csv) saved with the session's token.
//
// Days are UTC days, as the API counts them; times of entries are shown in the browser's
// time zone, and the page says so. Every amount shown is the API's exact string.
import { accountPath, download, loadSession, request } from './api.js';
import { messageFor } from './messages.js';
import { formatDollars } from './money.js';
import { $, element, formMessage, saveFile } from './ui.js';
import { drawUsageChart } from './usage_chart.js';

const MS_PER_DAY = 86400000;
const JOURNAL_PAGE_MAX = 1000; // the journal API's largest page
// A day's history reads at most this many journal pages (newest first): a day with 100,000
// debits costs three requests; its totals come exact from the usage answer all the same.
const DAY_PAGES_MAX = 3;

// Entries in the words customers use (the same as the journal CSV's "description").
const ENTRY_NAMES = {
  debit: 'Calls and messages',
  capture: 'Calls and messages',
  auto_recharge: 'Automatic recharge',
  manual_recharge: 'Recharge',
  adjustment: 'Adjustment by support',
};
const USAGE_KINDS = new Set(['debit', 'capture']);

export const entryName = (entry) => ENTRY_NAMES[entry.kind] ?? entry.kind;

// The last usage answer, the account's journal seq read after it, and the day shown.
let report = null;
let journalSeqAfterReport = 0;
let shownDay = -1;
let dayGeneration = 0; // the latest showDay(): an older one that finishes late draws nothing

const count = (number) => number.toLocaleString('en-US');
const plural = (number, one, many) => `${count(number)} ${number === 1 ? one : many}`;
const entriesIn = (period) =>
  period.usage.count + period.recharges.count + period.adjustments.count;

// "Mon, Dec 7, 2026" for a UTC day's start ("2026-12-07T00:00:00Z").
function dayLabel(start) {
  return new Date(start).toLocaleDateString('en-US', {
    timeZone: 'UTC',
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    year: 'numeric',
  });
}

// An entry's time in the browser's time zone, with its date: the UTC day may differ.
function entryTime(entry) {
  if (entry.time === null) return 'before times were recorded';
  return new Date(entry.time).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'medium' });
}

// "Dec 6, 2026, 10:01:02 PM to 10:03:59 PM": the date once when both are on the same date.
function timeRange(oldest, newest) {
  const from = entryTime(oldest);
  const to = entryTime(newest);
  if (from === to) return from;
  const sameDate = new Date(oldest.time).toDateString() === new Date(newest.time).toDateString();
  const toTime = new Date(newest.time).toLocaleTimeString('en-US', { timeStyle: 'medium' });
  return `${from} to ${sameDate ? toTime : to}`;
}

const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'local time';

function describeTotals(totals) {
  const spent = totals.usage.count === 0
    ? 'nothing spent on calls and messages'
    : `${formatDollars(totals.usage.amount)} spent on ${plural(totals.usage.count, 'call or message', 'calls and messages')}`;
  const recharged = totals.recharges.count === 0
    ? 'no recharges'
    : `${plural(totals.recharges.count, 'recharge', 'recharges')} of ${formatDollars(totals.recharges.amount)} in all`;
  const adjusted = totals.adjustments.count === 0
    ? 'no adjustments'
    : `${plural(totals.adjustments.count, 'adjustment', 'adjustments')} by support (${formatDollars(totals.adjustments.amount)})`;
  return `${spent}; ${recharged}; ${adjusted}`;
}

function renderSummary() {
  const first = report.periods[0];
  const last = report.periods[report.periods.length - 1];
  $('#usage-summary').textContent =
    `${dayLabel(first.start)} to ${dayLabel(last.start)} (UTC days): ${describeTotals(report.totals)}. ` +
    `Balance ${formatDollars(report.opening_balance)} at the start, ` +
    `${formatDollars(report.closing_balance)} at the end.`;
}

// The chart's text alternative and exact figures: every day, newest first.
function renderTable() {
  const rows = [...report.periods].reverse().map((period) =>
    element(
      'tr',
      {},
      element('th', { scope: 'row', text: dayLabel(period.start) }),
      element('td', { className: 'number', text: count(period.usage.count) }),
      element('td', { className: 'number', text: formatDollars(period.usage.amount) }),
      element('td', {
        className: 'number',
        text: period.recharges.count ? `${count(period.recharges.count)} × ${formatDollars(period.recharges.amount)}` : '–',
      }),
      element('td', {
        className: 'number',
        text: period.adjustments.count ? formatDollars(period.adjustments.amount) : '–',
      }),
      element('td', { className: 'number', text: formatDollars(period.closing_balance) }),
    ),
  );
  $('#usage-rows').replaceChildren(...rows);
}

function renderDayChoices() {
  const select = $('#day-select');
  const options = [...report.periods.keys()].reverse().map((index) => {
    const period = report.periods[index];
    const entries = entriesIn(period);
    const what = entries === 0 ? 'no entries' : plural(entries, 'entry', 'entries');
    return element('option', { value: String(index), text: `${dayLabel(period.start)} (${what})` });
  });
  select.replaceChildren(...options);
}

// The journal entries of one UTC day, newest first, reading at most DAY_PAGES_MAX pages.
// The day's entries are consecutive in the journal (times never go backwards): its last seq
// is at most the journal seq read after the report less the entries of the later days (more
// entries may have come since: they are newer than the day and skipped by their time).
async function readDay(index) {
  const period = report.periods[index];
  const dayStart = Date.parse(period.start);
  const dayEnd = dayStart + MS_PER_DAY;
  const expected = entriesIn(period);
  const later = report.periods.slice(index + 1).reduce((sum, day) => sum + entriesIn(day), 0);
  let top = journalSeqAfterReport - later;
  const found = [];
  let reachedStart = expected === 0;
  for (let pages = 0; !reachedStart && found.length < expected && top >= 1 && pages < DAY_PAGES_MAX; pages += 1) {
    const from = Math.max(1, top - JOURNAL_PAGE_MAX + 1);
    const result = await request('GET', accountPath(loadSession(), `/journal?from_seq=${from}&limit=${top - from + 1}`));
    if (result.status !== 200) return { result };
    for (const entry of [...result.body.entries].reverse()) {
      const time = entry.time === null ? -Infinity : Date.parse(entry.time);
      if (time >= dayEnd) continue;
      if (time < dayStart) {
        reachedStart = true;
        break;
      }
      found.push(entry);
    }
    top = from - 1;
  }
  return { entries: found, complete: found.length >= expected };
}

function dayRow(name, time, amount, balanceAfter, className = '') {
  return element(
    'tr',
    { className },
    element('th', { scope: 'row', text: name }),
    element('td', { text: time }),
    element('td', { className: 'number', text: amount }),
    element('td', { className: 'number', text: balanceAfter }),
  );
}

// The day's calls and messages as one line (count and sum exact from the usage answer), then
// every other entry found, newest first.
function renderDay(period, day) {
  const rows = [];
  const usage = period.usage;
  if (usage.count > 0) {
    const debits = day.entries.filter((entry) => USAGE_KINDS.has(entry.kind) && entry.time !== null);
    let when = '';
    if (debits.length > 0) {
      when = day.complete
        ? timeRange(debits[debits.length - 1], debits[0])
        : `the latest at ${entryTime(debits[0])}`;
    }
    rows.push(dayRow(`Calls and messages — ${count(usage.count)} ×`, when,
      formatDollars(`-${usage.amount}`), '', 'grouped'));
  }
  const others = day.entries.filter((entry) => !USAGE_KINDS.has(entry.kind));
  for (const entry of others) {
    rows.push(dayRow(entryName(entry), entryTime(entry), formatDollars(entry.amount), formatDollars(entry.balance_after)));
  }
  if (rows.length === 0) rows.push(element('tr', {}, element('td', { colSpan: 4, text: 'No entries on this day.' })));
  $('#day-rows').replaceChildren(...rows);

  const missing = period.recharges.count + period.adjustments.count - others.length;
  const notes = [`Closing balance of the day: ${formatDollars(period.closing_balance)}.`];
  if (!day.complete) {
    notes.push(`This day has ${plural(entriesIn(period), 'entry', 'entries')}; the newest ` +
      `${count(day.entries.length)} were read here.`);
  }
  if (missing > 0) {
    notes.push(`And ${plural(missing, 'more recharge or adjustment', 'more recharges or adjustments')} ` +
      'earlier in the day: the day’s journal (CSV) lists every entry.');
  }
  $('#day-note').textContent = notes.join(' ');
}

export async function showDay(app, index) {
  const generation = ++dayGeneration;
  shownDay = index;
  const period = report.periods[index];
  $('#day-select').value = String(index);
  $('#day-title').textContent = `History of ${dayLabel(period.start)} (UTC day)`;
  $('#day-zone').textContent = `Times are shown in your time zone (${timeZone()}).`;
  const section = $('[data-page="overview"]');
  section.querySelector('#day-view').setAttribute('aria-busy', 'true');
  const day = await readDay(index);
  if (generation !== dayGeneration) return;
  section.querySelector('#day-view').setAttribute('aria-busy', 'false');
  if (day.result) {
    if (app.handleSessionError(day.result)) return;
    formMessage($('#day-view'), messageFor(day.result.body.error), 'error');
    return;
  }
  formMessage($('#day-view'), '');
  renderDay(period, day);
  document.body.dataset.usageDay = period.start;
}

// The newest day with entries, or today.
function defaultDay() {
  for (let index = report.periods.length - 1; index >= 0; index -= 1) {
    if (entriesIn(report.periods[index]) > 0) return index;
  }
  return report.periods.length - 1;
}

// Reads the last 30 days (GET .../usage); call it before reading the account, whose
// journal_seq is then given to render(). False when the answer is not there (a message says
// why, or the session ended).
export async function load(app) {
  const result = await request('GET', accountPath(loadSession(), '/usage'));
  if (app.handleSessionError(result)) return false;
  const box = $('#usage-view');
  if (result.status !== 200) {
    report = null;
    formMessage(box, messageFor(result.body.error), 'error');
    return false;
  }
  formMessage(box, '');
  report = result.body;
  return true;
}

export async function render(app, journalSeq) {
  if (!report) return;
  journalSeqAfterReport = journalSeq;
  renderSummary();
  renderTable();
  renderDayChoices();
  // Shown before drawing: uPlot sizes the chart to its container.
  $('#usage-chart-figure').hidden = false;
  const drawn = await drawUsageChart($('#usage-chart'), report.periods, (index) => showDay(app, index));
  $('#usage-chart-figure').hidden = !drawn;
  const keep = shownDay >= 0 && shownDay < report.periods.length;
  await showDay(app, keep ? shownDay : defaultDay());
  document.body.dataset.usageDrawn = report.to;
}

// Saves a CSV from the API; the message line says what happened.
async function saveCsv(app, path, fallbackName, what) {
  const box = $('#usage-view');
  formMessage(box, `Preparing the ${what}…`, 'info');
  const result = await download(accountPath(loadSession(), path), fallbackName);
  if (app.handleSessionError(result)) return;
  if (result.status !== 200) {
    formMessage(box, messageFor(result.body.error), 'error');
    return;
  }
  saveFile(result.blob, result.fileName);
  formMessage(box, `The ${what} is downloaded (${result.fileName}).`, 'success');
}

const period = (from, to) => `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;

export function init(app) {
  $('#day-select').addEventListener('change', (event) => showDay(app, Number(event.target.value)));
  $('#usage-statement').addEventListener('click', () => {
    if (!report) return;
    saveCsv(app, `/statement?format=csv&${period(report.from, report.to)}`, 'statement.csv', 'statement');
  });
  $('#usage-journal').addEventListener('click', () => {
    if (!report) return;
    saveCsv(app, `/journal?format=csv&${period(report.from, report.to)}`, 'journal.csv', 'journal of the 30 days');
  });
  $('#day-journal').addEventListener('click', () => {
    if (!report || shownDay < 0) return;
    const start = report.periods[shownDay].start;
    const end = new Date(Date.parse(start) + MS_PER_DAY).toISOString().replace('.000Z', 'Z');
    saveCsv(app, `/journal?format=csv&${period(start, end)}`, 'journal-day.csv', 'journal of the day');
  });
}
