// Self-test of the counting rules of scripts/test-all.mjs (node:test; run by
// test-all's `unit` step and counted there). Reports are shaped as jest 30's
// --json and Playwright's JSON reporter write them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  judgeSkips,
  loadAllowedSkips,
  summarizeJest,
  summarizeNodeTests,
  summarizePlaywright,
} from './test-results.mjs';

const jestReport = (over = {}) => ({
  numPassedTests: 3,
  numFailedTests: 0,
  numPendingTests: 2,
  numTodoTests: 1,
  numRuntimeErrorTestSuites: 0,
  testResults: [
    {
      name: '/repo/plugins/p/src/a.test.ts',
      assertionResults: [
        { ancestorTitles: ['A'], title: 'runs', status: 'passed' },
        { ancestorTitles: ['A', 'with keytool'], title: 'builds a truststore', status: 'pending' },
        { ancestorTitles: [], title: 'later', status: 'todo' },
      ],
    },
    {
      name: '/repo/plugins/p/src/b.test.ts',
      assertionResults: [
        { ancestorTitles: ['B'], title: 'one', status: 'passed' },
        { ancestorTitles: ['B'], title: 'two', status: 'passed' },
        { ancestorTitles: ['B'], title: 'skipped', status: 'skipped' },
      ],
    },
  ],
  ...over,
});

describe('summarizeJest', () => {
  it('names every pending, skipped and todo test with its file and titles', () => {
    const s = summarizeJest(jestReport(), { root: '/repo' });
    assert.equal(s.passed, 3);
    assert.equal(s.failed, 0);
    assert.deepEqual(s.skipped, [
      'plugins/p/src/a.test.ts › A › with keytool › builds a truststore',
      'plugins/p/src/a.test.ts › later',
      'plugins/p/src/b.test.ts › B › skipped',
    ]);
  });

  it('counts pending tests jest reports without listing them', () => {
    const s = summarizeJest(jestReport({ numPendingTests: 4, testResults: [] }));
    assert.equal(s.skipped.length, 5);
    assert.match(s.skipped[0], /unnamed skipped jest test/);
  });

  it('counts suites that failed to run as failures', () => {
    const s = summarizeJest(jestReport({ numRuntimeErrorTestSuites: 2 }));
    assert.equal(s.failed, 2);
    assert.deepEqual(s.notes, ['2 suites failed to run']);
  });

  it('fails a non-zero exit that reported no failure', () => {
    const s = summarizeJest(jestReport(), { exitCode: 1 });
    assert.equal(s.failed, 1);
    assert.match(s.notes.join(), /exited with 1/);
  });

  it('fails a run of zero tests', () => {
    const s = summarizeJest({ numPassedTests: 0, numFailedTests: 0, testResults: [] });
    assert.equal(s.failed, 1);
    assert.deepEqual(s.notes, ['no jest tests ran']);
  });
});

const playwrightReport = (over = {}) => ({
  suites: [
    {
      title: 'portal.test.ts',
      file: 'portal.test.ts',
      specs: [{ title: 'signs in', tests: [{ status: 'expected', projectName: 'chromium' }] }],
      suites: [
        {
          title: 'backends page',
          specs: [
            { title: 'creates a backend', tests: [{ status: 'expected' }] },
            { title: 'restores a snapshot', tests: [{ status: 'skipped' }] },
          ],
        },
      ],
    },
  ],
  errors: [],
  stats: { expected: 2, unexpected: 0, flaky: 0, skipped: 1 },
  ...over,
});

describe('summarizePlaywright', () => {
  it('counts expected and flaky as passed and names skipped tests', () => {
    const s = summarizePlaywright(playwrightReport({ stats: { expected: 2, unexpected: 1, flaky: 1, skipped: 1 } }));
    assert.equal(s.passed, 3);
    assert.equal(s.failed, 1);
    assert.deepEqual(s.skipped, ['portal.test.ts › backends page › restores a snapshot']);
  });

  it('fails when Playwright exits non-zero although results.json says 0 failed (a spec that failed to load)', () => {
    const s = summarizePlaywright(
      playwrightReport({ errors: [{ message: 'SyntaxError: Unexpected token' }] }),
      { exitCode: 1 },
    );
    assert.equal(s.failed, 1);
    assert.match(s.notes.join('; '), /errors outside tests/);
    assert.match(s.notes.join('; '), /playwright exited with 1/);
  });

  it('fails load errors even when the exit code is 0', () => {
    const s = summarizePlaywright(playwrightReport({ errors: [{ message: 'x' }] }));
    assert.equal(s.failed, 1);
  });

  it('fails a run in which no e2e test ran', () => {
    const s = summarizePlaywright({ suites: [], errors: [], stats: { expected: 0, unexpected: 0, flaky: 0, skipped: 0 } });
    assert.equal(s.passed, 0);
    assert.equal(s.failed, 1);
    assert.deepEqual(s.notes, ['no e2e test ran']);
  });

  it('passes a clean run', () => {
    const s = summarizePlaywright(playwrightReport({ suites: [], stats: { expected: 5, unexpected: 0, flaky: 0, skipped: 0 } }));
    assert.deepEqual(s, { passed: 5, failed: 0, skipped: [], notes: [] });
  });
});

describe('summarizeNodeTests', () => {
  const ev = (type, data) => ({ type, data: { file: '/repo/scripts/lib/x.test.mjs', ...data } });
  it('counts leaf tests, not suites, and names skipped and todo tests with their suite', () => {
    const s = summarizeNodeTests([
      ev('test:start', { name: 'outer', nesting: 0 }),
      ev('test:start', { name: 'passes', nesting: 1 }),
      ev('test:pass', { name: 'passes', nesting: 1, details: { type: 'test' } }),
      ev('test:start', { name: 'fails', nesting: 1 }),
      ev('test:fail', { name: 'fails', nesting: 1, details: { type: 'test', error: { failureType: 'testCodeFailure' } } }),
      ev('test:start', { name: 'skipped', nesting: 1 }),
      ev('test:pass', { name: 'skipped', nesting: 1, skip: true, details: { type: 'test' } }),
      ev('test:start', { name: 'later', nesting: 1 }),
      ev('test:pass', { name: 'later', nesting: 1, todo: true, details: { type: 'test' } }),
      ev('test:fail', { name: 'outer', nesting: 0, details: { type: 'suite', error: { failureType: 'subtestsFailed' } } }),
    ], { root: '/repo' });
    assert.equal(s.passed, 1);
    assert.equal(s.failed, 1);
    assert.deepEqual(s.skipped, ['scripts/lib/x.test.mjs › outer › skipped', 'scripts/lib/x.test.mjs › outer › later']);
  });

  it('counts a file that fails to load (node reports it as a failed test)', () => {
    const s = summarizeNodeTests([
      ev('test:start', { name: '/repo/scripts/lib/x.test.mjs', nesting: 0 }),
      ev('test:fail', { name: '/repo/scripts/lib/x.test.mjs', nesting: 0, details: { type: 'test' } }),
    ]);
    assert.equal(s.failed, 1);
  });

  it('fails when nothing ran', () => {
    assert.equal(summarizeNodeTests([]).failed, 1);
  });
});

describe('allowed skips', () => {
  const write = content => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'skips-')), 'allowed-skips.json');
    fs.writeFileSync(file, JSON.stringify(content));
    return file;
  };

  it('refuses under CI every skipped test that is not on the list', () => {
    const allowed = { 'a.test.ts › needs a GPU': 'no GPU on CI machines' };
    const { refused, stale } = judgeSkips(['a.test.ts › needs a GPU', 'b.test.ts › flaky'], allowed, { ci: true });
    assert.deepEqual(refused, ['b.test.ts › flaky']);
    assert.deepEqual(stale, []);
  });

  it('only reports skipped tests outside CI', () => {
    const { refused } = judgeSkips(['b.test.ts › flaky'], {}, { ci: false });
    assert.deepEqual(refused, []);
  });

  it('names listed tests that no longer skip', () => {
    const { stale } = judgeSkips([], { 'gone › test': 'reason' }, { ci: true });
    assert.deepEqual(stale, ['gone › test']);
  });

  it('loads the list and refuses an entry without a reason', () => {
    assert.deepEqual(loadAllowedSkips(write({ skips: { 'x › y': 'why' } })), { 'x › y': 'why' });
    assert.throws(() => loadAllowedSkips(write({ skips: { 'x › y': ' ' } })), /"x › y" has no reason/);
    assert.deepEqual(loadAllowedSkips('/nonexistent/allowed-skips.json'), {});
  });

  it("keeps the repo's own list loadable", () => {
    const file = new URL('../allowed-skips.json', import.meta.url).pathname;
    assert.equal(typeof loadAllowedSkips(file), 'object');
  });
});
