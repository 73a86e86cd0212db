// The counting rules of test-results.mjs against what the real runners write:
// Playwright's JSON report for a spec that fails to load and for a skipped
// test (no browser: these tests take no page), and node:test through the
// events reporter test-all uses. Counted by test-all's scripts step.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { summarizeNodeTests, summarizePlaywright } from './test-results.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
// under the repo, so the specs resolve @playwright/test from its node_modules
fs.mkdirSync(path.join(root, 'artifacts'), { recursive: true });
const work = fs.mkdtempSync(path.join(root, 'artifacts', 'runner-selftest-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function playwright(name, spec) {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, 'tests'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'tests', 'a.spec.mjs'), spec);
  fs.writeFileSync(
    path.join(dir, 'playwright.config.mjs'),
    "export default { testDir: './tests', outputDir: './out', reporter: [['json', { outputFile: './results.json' }]] };\n",
  );
  const r = spawnSync(path.join(root, 'node_modules/.bin/playwright'), ['test', '-c', path.join(dir, 'playwright.config.mjs')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CI: '' },
  });
  return { exitCode: r.status, report: JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) };
}

describe('with the real runners', () => {
  it('fails a Playwright run whose spec does not load, though its report counts 0 failed', () => {
    const { exitCode, report } = playwright('broken', "import { test } from '@playwright/test';\ntest('x', () => { ) });\n");
    assert.notEqual(exitCode, 0);
    assert.equal(report.stats.unexpected, 0);
    const s = summarizePlaywright(report, { exitCode });
    assert.ok(s.failed >= 1);
    assert.match(s.notes.join('; '), /no e2e test ran/);
  });

  it('names a skipped Playwright test with its file and titles', () => {
    const { exitCode, report } = playwright(
      'skipped',
      "import { test, expect } from '@playwright/test';\n" +
        "test.describe('group', () => {\n" +
        "  test('runs', () => { expect(1).toBe(1); });\n" +
        "  test.skip('waits', () => {});\n" +
        '});\n',
    );
    assert.equal(exitCode, 0);
    const s = summarizePlaywright(report, { exitCode });
    assert.deepEqual(s, { passed: 1, failed: 0, skipped: ['a.spec.mjs › group › waits'], notes: [] });
  });

  it('counts node:test through the events reporter as test-all runs it', () => {
    const file = path.join(work, 'sample.mjs');
    fs.writeFileSync(
      file,
      "import { describe, it } from 'node:test';\n" +
        "describe('s', () => { it('ok', () => {}); it('bad', () => { throw new Error('x'); }); it.skip('later', () => {}); });\n",
    );
    const events = path.join(work, 'events.jsonl');
    const r = spawnSync(
      process.execPath,
      ['--test', `--test-reporter=${path.join(root, 'scripts/lib/node-test-events.mjs')}`, `--test-reporter-destination=${events}`, file],
      // without the parent's NODE_TEST_CONTEXT, which would make it report to this test run instead
      { encoding: 'utf8', env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')) },
    );
    const lines = fs.readFileSync(events, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l));
    const s = summarizeNodeTests(lines, { exitCode: r.status, root: work });
    assert.equal(s.passed, 1);
    assert.equal(s.failed, 1);
    assert.deepEqual(s.skipped, ['sample.mjs › s › later']);
  });
});
