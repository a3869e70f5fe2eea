// Drives `urnscan review` in a headless Chromium through the DevTools protocol
// (puppeteer-core: no browser download, the machine's own Chromium). Run by
// tests/review_browser.rs, which starts the server, then checks the folder on disk; this
// script reports what the page showed and did, as one JSON object on stdout, and leaves the
// judging to the Rust test (one place for the assertions).
//
//   node tests/browser/review.mjs --url URL --chromium PATH --mode flow [--screenshots DIR]
//   node tests/browser/review.mjs --url URL --chromium PATH --mode timing
//
// flow:   corrects the first answer of the list by typing, confirms the second with Enter,
//         marks the third "not an answer" (Alt+N), reloads, and reports what is shown then.
//         Two screenshots: the first answer with its correction typed, and the page after
//         the reload.
// timing: presses Enter on every answer of the list (200 in the test), and reports the time
//         from each keypress to the next answer shown with its decision saved.
//
// Exit status: 0 with the JSON report (what went wrong in the page is in it, for the Rust
// test to judge), 1 when the page could not be driven at all (message on stderr).

import puppeteer from 'puppeteer-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    out[a.slice(2)] = argv[++i];
  }
  for (const need of ['url', 'chromium', 'mode']) {
    if (!out[need]) throw new Error(`--${need} is required`);
  }
  return out;
}

// How long one step (a key and the save behind it) may take before the script gives up.
const STEP_TIMEOUT_MS = 15000;

// What the test types over the first answer's text: accents, French quotes, a comma and
// double quotes for the CSV, markup that must stay text, and a non-ASCII symbol.
const CORRECTION = 'Des bancs à l\'ombre, « partout » & <b>"vite"</b> : 2 €';

async function main() {
  const opt = args(process.argv.slice(2));
  const browser = await puppeteer.launch({
    executablePath: opt.chromium,
    headless: true,
    // Root in a container: Chromium's sandbox needs user namespaces it may not have.
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--window-size=1280,900'],
    defaultViewport: { width: 1280, height: 900, deviceScaleFactor: 1 },
  });
  try {
    const page = await browser.newPage();
    const problems = watch(page);
    const report = opt.mode === 'flow'
      ? await flow(page, opt)
      : opt.mode === 'timing'
        ? await timing(page, opt)
        : null;
    if (report === null) throw new Error(`unknown --mode ${opt.mode} (flow or timing)`);
    report.chromium = await browser.version();
    report.problems = problems;
    process.stdout.write(JSON.stringify(report) + '\n');
  } finally {
    await browser.close();
  }
}

// Everything the page complains about: console errors (a Content-Security-Policy violation
// is one), uncaught exceptions, failed requests and HTTP errors. Chromium asks for
// /favicon.ico on its own; that one is left out. A crop still loading when the page moves
// on is cancelled (net::ERR_ABORTED): not an error, only counted.
function watch(page) {
  const problems = { console: [], page: [], http: [], aborted: 0 };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') {
      const where = m.location()?.url ?? '';
      if (!where.endsWith('/favicon.ico')) problems.console.push(`${m.type()}: ${m.text()} ${where}`.trim());
    }
  });
  page.on('pageerror', (e) => problems.page.push(String(e?.message ?? e)));
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText === 'net::ERR_ABORTED') problems.aborted++;
    else if (!r.url().endsWith('/favicon.ico')) problems.http.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.http.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
  });
  return problems;
}

// What the page shows now.
async function state(page) {
  return page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    const text = (s) => q(s)?.textContent.trim() ?? null;
    const crop = q('#crop');
    const progress = q('#progress');
    return {
      id: document.body.dataset.contributionId ?? null,
      text: q('#text')?.value ?? null,
      question: text('#question'),
      urn: text('#urn'),
      reasons: text('#reasons'),
      ticks: text('#ticks'),
      position: text('#position'),
      decision: q('#decision')?.dataset.decision ?? null,
      saved: q('#saved')?.dataset.state ?? null,
      progress: progress
        ? { decided: Number(progress.dataset.decided), total: Number(progress.dataset.total) }
        : null,
      notice: text('#notice'),
      focus: document.activeElement?.id || document.activeElement?.tagName || null,
      crop: crop
        ? { src: crop.getAttribute('src'), complete: crop.complete, natural_width: crop.naturalWidth }
        : null,
    };
  });
}

// Arms a probe in the page, runs `act` (a key press), and waits until the page shows another
// answer than `prev` and says its decision is saved (after having said "saving" or "error":
// a "saved" left over from the previous answer does not count). With `sameAnswer`, the save
// alone is waited for (the last answer of the list has no next one). Returns the page's own
// measure, from the keydown to that state, in ms.
async function step(page, prev, act, { sameAnswer = false } = {}) {
  await page.evaluate((prev, sameAnswer) => {
    const probe = (window.__urnscanProbe = { t0: null, done: null, busy: false, error: false });
    document.addEventListener('keydown', () => { probe.t0 ??= performance.now(); }, { capture: true, once: true });
    const check = () => {
      const s = document.querySelector('#saved')?.dataset.state;
      if (s === 'saving') probe.busy = true;
      if (s === 'error') probe.error = true;
      const moved = sameAnswer || document.body.dataset.contributionId !== prev;
      if (probe.done === null && probe.busy && s === 'saved' && moved) {
        probe.done = performance.now();
        observer.disconnect();
      }
    };
    const observer = new MutationObserver(check);
    observer.observe(document.documentElement, {
      attributes: true,
      subtree: true,
      attributeFilter: ['data-state', 'data-contribution-id'],
    });
  }, prev, sameAnswer);
  await act();
  try {
    await page.waitForFunction(() => window.__urnscanProbe.done !== null || window.__urnscanProbe.error,
      { timeout: STEP_TIMEOUT_MS, polling: 'mutation' });
  } catch (e) {
    const s = await state(page);
    throw new Error(`no next answer saved within ${STEP_TIMEOUT_MS} ms after leaving ${prev}: the page shows ${JSON.stringify(s)}`);
  }
  const probe = await page.evaluate(() => window.__urnscanProbe);
  if (probe.error && probe.done === null) {
    throw new Error(`the page says the save failed (#saved[data-state=error]) after leaving ${prev}: ${JSON.stringify(await state(page))}`);
  }
  return probe.done - probe.t0;
}

async function ready(page) {
  await page.waitForSelector('body[data-ready="1"]', { timeout: STEP_TIMEOUT_MS });
  await cropLoaded(page);
}

// The crop is part of what is shown: wait for it to load (or fail, which the report says:
// a complete image with no width).
async function cropLoaded(page) {
  await page.waitForFunction(() => { const c = document.querySelector('#crop'); return !c || c.complete; },
    { timeout: STEP_TIMEOUT_MS });
}

// The text field should have the focus after each move (keyboard first); when it has not,
// that is reported, and the field is focused so that the rest of the run still tests.
async function inText(page) {
  const focus = await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || null);
  if (focus !== 'text') await page.focus('#text');
  return focus;
}

async function flow(page, opt) {
  const shots = [];
  const shot = async (name) => {
    if (!opt.screenshots) return;
    mkdirSync(opt.screenshots, { recursive: true });
    const path = join(opt.screenshots, name);
    await page.screenshot({ path });
    shots.push(path);
  };
  await page.goto(opt.url, { waitUntil: 'load' });
  await ready(page);
  const steps = [];

  // 1. Correct: select everything in the field, type, and Enter. Shift+Enter first must add
  // a line and not move on (then Backspace takes it away again).
  const first = await state(page);
  first.focus_before = await inText(page);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.type(CORRECTION);
  await page.keyboard.down('Shift');
  await page.keyboard.press('Enter');
  await page.keyboard.up('Shift');
  const afterShiftEnter = await state(page);
  first.shift_enter = {
    stayed: afterShiftEnter.id === first.id,
    newline_added: afterShiftEnter.text === CORRECTION + '\n',
  };
  await page.keyboard.press('Backspace');
  first.typed = await page.$eval('#text', (t) => t.value);
  await shot('review-1-correction-typed.png');
  first.ms = await step(page, first.id, () => page.keyboard.press('Enter'));
  steps.push(first);

  // 2. Confirm: Enter on the text as read.
  await cropLoaded(page);
  const second = await state(page);
  second.focus_before = await inText(page);
  second.ms = await step(page, second.id, () => page.keyboard.press('Enter'));
  steps.push(second);

  // 3. Not an answer: Alt+N.
  await cropLoaded(page);
  const third = await state(page);
  third.focus_before = await inText(page);
  third.ms = await step(page, third.id, async () => {
    await page.keyboard.down('Alt');
    await page.keyboard.press('KeyN');
    await page.keyboard.up('Alt');
  });
  steps.push(third);
  const fourth = await state(page);

  // 4. Reload: the page opens again on the first undecided answer.
  await page.reload({ waitUntil: 'load' });
  await ready(page);
  const reloaded = await state(page);
  await shot('review-2-after-reload.png');
  return { mode: 'flow', correction: CORRECTION, steps, fourth, reloaded, screenshots: shots };
}

function percentile(sorted, p) {
  // Nearest rank.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

async function timing(page, opt) {
  await page.goto(opt.url, { waitUntil: 'load' });
  await ready(page);
  const start = await state(page);
  // One Enter for each answer still to decide, from the first undecided one (where the
  // page opens).
  const total = (start.progress?.total ?? 0) - (start.progress?.decided ?? 0);
  if (!(total > 1)) throw new Error(`no answers to time: the page shows ${JSON.stringify(start)}`);
  const ms = [];
  const seen = new Set();
  let focusLost = 0;
  let last = null;
  const wall = Date.now();
  for (let i = 0; i < total; i++) {
    const now = await state(page);
    seen.add(now.id);
    if ((await inText(page)) !== 'text') focusLost++;
    const t = await step(page, now.id, () => page.keyboard.press('Enter'), { sameAnswer: i === total - 1 });
    if (i === total - 1) last = t;
    else ms.push(t);
  }
  const end = await state(page);
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (v) => Math.round(v * 10) / 10;
  return {
    mode: 'timing',
    presses: total,
    answers_shown: seen.size,
    transitions: ms.length,
    median_ms: round(percentile(sorted, 50)),
    p95_ms: round(percentile(sorted, 95)),
    max_ms: round(sorted[sorted.length - 1]),
    min_ms: round(sorted[0]),
    last_save_ms: round(last),
    wall_s: round((Date.now() - wall) / 1000),
    focus_lost: focusLost,
    end,
  };
}

main().catch((e) => {
  process.stderr.write(`review.mjs: ${e?.stack ?? e}\n`);
  process.exit(1);
});
