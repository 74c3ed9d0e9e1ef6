// The usage chart of "Balance and history": what was spent on each UTC day (bars, left axis)
// and the balance at the end of each day (line, right axis), drawn by uPlot
// (vendor/uPlot.esm.js, from web/node_modules; web/README.md).
//
// Display only: the chart converts amount strings to binary floating point numbers, because
// uPlot plots numbers. Nothing computed here is shown as an amount: the legend shows the
// API's exact strings for the day under the cursor, and the table "Day by day" (usage.js)
// is the chart's exact text alternative. The chart itself is aria-hidden.
import { formatDollars } from './money.js';

const HEIGHT_PX = 260;
const WIDTH_MIN_PX = 280;
const HALF_DAY_SECONDS = 43200;
// The console's palette (style.css): the accent for spend, the success green for the balance.
const SPEND_FILL = 'rgba(11, 92, 173, 0.75)';
const SPEND_STROKE = '#0b5cad';
const BALANCE_STROKE = '#176d3b';
const AXIS_STROKE = '#4b5563';
const GRID_STROKE = '#e3e7ec';

let uPlotModule = null;

// uPlot is loaded on the first chart only: the login page does not pay for it.
async function library() {
  uPlotModule ??= (await import('./vendor/uPlot.esm.js')).default;
  return uPlotModule;
}

// For the axes only (display): "$1.25", "$0.0035".
const axisDollars = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 4,
});

// The plotted number of an exact amount string: display only, never summed or shown.
const plotted = (amount) => Number(amount);

function widthOf(container) {
  return Math.max(WIDTH_MIN_PX, Math.floor(container.clientWidth));
}

function options(uPlot, periods, width, onPick) {
  const exact = (field) => (self, value, series, index) =>
    index == null ? '–' : formatDollars(field(periods[index]));
  return {
    width,
    height: HEIGHT_PX,
    // Days are UTC days (the API's): the axis labels them in UTC, not in the browser's zone.
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    cursor: { drag: { x: false, y: false }, points: { size: 8 } },
    legend: { live: true },
    scales: {
      // Half a day either side, so the first and last bars are whole.
      x: { time: true, range: (self, min, max) => [min - HALF_DAY_SECONDS, max + HALF_DAY_SECONDS] },
      spend: { range: (self, min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      { stroke: AXIS_STROKE, grid: { stroke: GRID_STROKE }, ticks: { stroke: GRID_STROKE } },
      {
        scale: 'spend',
        stroke: AXIS_STROKE,
        grid: { stroke: GRID_STROKE },
        ticks: { stroke: GRID_STROKE },
        size: 70,
        values: (self, ticks) => ticks.map((tick) => axisDollars.format(tick)),
      },
      {
        scale: 'balance',
        side: 1,
        stroke: AXIS_STROKE,
        grid: { show: false },
        size: 80,
        values: (self, ticks) => ticks.map((tick) => axisDollars.format(tick)),
      },
    ],
    series: [
      { label: 'Day (UTC)', value: '{MMM} {D}, {YYYY}' },
      {
        label: 'Spent',
        scale: 'spend',
        stroke: SPEND_STROKE,
        fill: SPEND_FILL,
        width: 1,
        paths: uPlot.paths.bars({ size: [0.6, 40] }),
        points: { show: false },
        value: exact((period) => period.usage.amount),
      },
      {
        label: 'Balance at end of day',
        scale: 'balance',
        stroke: BALANCE_STROKE,
        width: 2,
        points: { show: false },
        value: exact((period) => period.closing_balance),
      },
    ],
    hooks: {
      ready: [
        (self) => {
          // A click on a day shows that day's history (the day list does the same by keyboard).
          self.over.addEventListener('click', () => {
            if (self.cursor.idx != null) onPick(self.cursor.idx);
          });
        },
      ],
    },
  };
}

let chart = null;
let resizeListening = false;

// Draws (or redraws) the chart of `periods` (the usage API's days, oldest first) into
// `container`; `onPick(index)` is called when a day is clicked. Returns false when the chart
// library could not be loaded (the table still shows everything).
export async function drawUsageChart(container, periods, onPick) {
  let uPlot;
  try {
    uPlot = await library();
  } catch {
    return false;
  }
  const data = [
    periods.map((period) => Date.parse(period.start) / 1000),
    periods.map((period) => plotted(period.usage.amount)),
    periods.map((period) => plotted(period.closing_balance)),
  ];
  chart?.destroy();
  container.replaceChildren();
  chart = new uPlot(options(uPlot, periods, widthOf(container), onPick), data, container);
  if (!resizeListening) {
    resizeListening = true;
    window.addEventListener('resize', () => {
      if (chart && container.clientWidth > 0) chart.setSize({ width: widthOf(container), height: HEIGHT_PX });
    });
  }
  return true;
}
