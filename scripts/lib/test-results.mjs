// Counting of test results for scripts/test-all.mjs: jest's and Playwright's
// JSON reports and node:test's event stream become
// { passed, failed, skipped: [names], notes: [why a failure was added] }.
// Kept apart from test-all so the rules are tested (test-results.test.mjs):
// a run that failed to load, ran nothing or skipped tests must not read as green.
import fs from 'node:fs';
import path from 'node:path';

/** How one test is named everywhere (report, allowed-skips.json): file, then titles. */
export function testName(file, titles) {
  return [file, ...titles.filter(t => t !== '')].join(' › ');
}

const JEST_SKIPPED = new Set(['pending', 'skipped', 'todo', 'disabled']);

/**
 * jest's --json report. Failed counts failed tests, suites that failed to
 * run, a non-zero exit with nothing failed, and a run of zero tests.
 */
export function summarizeJest(report, { exitCode = 0, root = '' } = {}) {
  const notes = [];
  const suiteErrors = report.numRuntimeErrorTestSuites ?? 0;
  let failed = (report.numFailedTests ?? 0) + suiteErrors;
  if (suiteErrors) notes.push(`${suiteErrors} suites failed to run`);
  const skipped = [];
  for (const suite of report.testResults ?? []) {
    const file = root ? path.relative(root, suite.name ?? suite.testFilePath ?? '') : suite.name ?? '';
    for (const t of suite.assertionResults ?? []) {
      if (JEST_SKIPPED.has(t.status)) skipped.push(testName(file, [...(t.ancestorTitles ?? []), t.title]));
    }
  }
  // the per-test statuses should account for every pending and todo test;
  // if jest ever counts one it does not list, it is still counted
  const counted = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (let i = skipped.length; i < counted; i++) skipped.push(`(unnamed skipped jest test ${i + 1})`);
  const passed = report.numPassedTests ?? 0;
  if (passed + failed + skipped.length === 0) {
    failed += 1;
    notes.push('no jest tests ran');
  }
  if (exitCode !== 0 && failed === 0) {
    failed += 1;
    notes.push(`jest exited with ${exitCode} but reported no failure`);
  }
  return { passed, failed, skipped, notes };
}

function* playwrightTests(suite, titles) {
  const here = suite.title ? [...titles, suite.title] : titles;
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests ?? []) yield { titles: [...here, spec.title], test: t };
  }
  for (const child of suite.suites ?? []) yield* playwrightTests(child, here);
}

/**
 * Playwright's JSON reporter output plus its exit code. A non-zero exit with
 * no unexpected test (a spec that fails to load, a global setup error) is a
 * failure; so is a run in which no test ran.
 */
export function summarizePlaywright(report, { exitCode = 0 } = {}) {
  const notes = [];
  const s = report.stats ?? {};
  const passed = (s.expected ?? 0) + (s.flaky ?? 0);
  let failed = s.unexpected ?? 0;
  const loadErrors = (report.errors ?? []).length;
  if (loadErrors) notes.push(`${loadErrors} errors outside tests (e.g. a spec that failed to load)`);
  const skipped = [];
  for (const suite of report.suites ?? []) {
    for (const { titles, test } of playwrightTests(suite, [])) {
      if (test.status === 'skipped') skipped.push(testName(titles[0] ?? '', titles.slice(1)));
    }
  }
  for (let i = skipped.length; i < (s.skipped ?? 0); i++) skipped.push(`(unnamed skipped e2e test ${i + 1})`);
  if (passed + failed === 0) {
    failed += 1;
    notes.push('no e2e test ran');
  }
  if (exitCode !== 0 && failed === 0) {
    failed += 1;
    notes.push(`playwright exited with ${exitCode} but reported no failed test`);
  }
  if (loadErrors && failed === 0) failed += 1;
  return { passed, failed, skipped, notes };
}

/**
 * node:test's reporter events (`run()` from node:test): leaf tests only
 * (suites are not tests), skipped and todo tests named.
 */
export function summarizeNodeTests(events, { exitCode = 0, root = '' } = {}) {
  const notes = [];
  let passed = 0;
  let failed = 0;
  const skipped = [];
  const stack = [];
  for (const { type, data } of events) {
    if (type === 'test:start') {
      stack.length = data.nesting;
      stack.push(data.name);
      continue;
    }
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    if (data.details?.type === 'suite') {
      // a suite fails by itself when its body throws before any test
      if (type === 'test:fail' && !data.details?.error?.failureType?.startsWith('subtestsFailed')) failed += 1;
      continue;
    }
    const titles = [...stack.slice(0, data.nesting), data.name];
    const file = data.file && root ? path.relative(root, data.file) : data.file ?? '';
    if (data.skip !== undefined || data.todo !== undefined) skipped.push(testName(file, titles));
    else if (type === 'test:pass') passed += 1;
    else failed += 1;
  }
  if (passed + failed + skipped.length === 0) {
    failed += 1;
    notes.push('no node:test test ran');
  }
  if (exitCode !== 0 && failed === 0) {
    failed += 1;
    notes.push(`node --test exited with ${exitCode} but reported no failure`);
  }
  return { passed, failed, skipped, notes };
}

/**
 * The repo's list of tests allowed to be skipped: `{ "skips": { name: reason } }`.
 * A missing file is an empty list; an entry without a reason is an error.
 */
export function loadAllowedSkips(file) {
  if (!fs.existsSync(file)) return {};
  const { skips = {} } = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const [name, reason] of Object.entries(skips)) {
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new Error(`${file}: "${name}" has no reason; every allowed skip names why it cannot run here`);
    }
  }
  return skips;
}

/**
 * Which skipped tests fail the run: under CI every skip not on the allowed
 * list; outside CI none (they are only reported). `stale` lists allowed
 * entries that did not skip, so the list can be kept short.
 */
export function judgeSkips(skipped, allowed, { ci }) {
  const refused = ci ? skipped.filter(n => !(n in allowed)) : [];
  const stale = Object.keys(allowed).filter(n => !skipped.includes(n));
  return { refused, stale };
}
