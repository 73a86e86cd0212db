import { expect, test } from '@playwright/test';
import { openAsGuest } from './signIn';

const shots = 'artifacts/screenshots';
const backendName = `e2e-${Date.now().toString(36)}`;

test.describe.configure({ mode: 'serial' });

test('provisions a backend from the software template and it becomes Ready on the backends page', async ({ page }) => {
  test.setTimeout(300_000);
  await openAsGuest(page, '/create');
  await page.getByRole('article').filter({ hasText: 'SkyWalking backend' }).getByRole('button', { name: 'Choose' }).click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(backendName);
  // with the real-node cluster `real` configured too, the cluster is a choice
  await page.getByRole('textbox', { name: 'Cluster' }).click();
  await page.getByRole('option', { name: 'local', exact: true }).click();
  await page.getByLabel('Namespace').fill('skywalking');
  await page.keyboard.press('Escape'); // close the namespace suggestions
  const owner = page.getByRole('combobox', { name: 'Owner' }).or(page.getByLabel('Owner')).first();
  await owner.click({ timeout: 15_000 });
  await page.keyboard.type('guests');
  await page.getByRole('option', { name: /guests/ }).click({ timeout: 15_000 });
  await page.screenshot({ path: `${shots}/template-form.png`, fullPage: true });
  await page.getByRole('button', { name: 'Next' }).click({ timeout: 15_000 });
  await expect(page.getByLabel('SkyWalking version')).toHaveValue('10.1.0');
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  // the action waits for Ready and logs progress; the task page shows it
  await expect(page.getByText(/Provision SkyWalking backend/).first()).toBeVisible();
  await expect(page.getByRole('link', { name: 'SkyWalking backends' })).toBeVisible({ timeout: 240_000 });
  await page.screenshot({ path: `${shots}/template-done.png`, fullPage: true });

  await page.getByRole('link', { name: 'SkyWalking backends' }).click();
  const row = page.getByRole('row').filter({ hasText: backendName });
  await expect(row).toContainText('Ready');
  await expect(row).toContainText('banyandb');
  await page.getByTestId(`backend-${backendName}`).click();
  await expect(page.getByText(/Pods \(3\)/)).toBeVisible(); // OAP, UI, BanyanDB
  await page.screenshot({ path: `${shots}/backends-page.png`, fullPage: true });
});

test('the tracing toggle injects the agent into a demo component\'s pods', async ({ page }) => {
  test.setTimeout(180_000);
  await openAsGuest(page, '/catalog/default/component/shop-orders');
  const toggle = page.getByRole('checkbox', { name: 'Tracing' });
  await expect(toggle).toBeEnabled();
  if (await toggle.isChecked()) {
    await toggle.click();
    await expect(toggle).not.toBeChecked();
  }
  await toggle.click();
  await expect(toggle).toBeChecked();
  // new pods roll out through the webhook: every pod of the workload injected
  await expect(page.getByTestId('sw-workload').first()).toContainText(/2\/2 pods injected/, { timeout: 120_000 });
  await expect(page.getByText(/tracing\.enable by user:default\/guest/)).toBeVisible();
  await page.getByText('SkyWalking tracing').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/tracing-card.png` });
});

test('the topology tab draws the demo component\'s services, pods and calls with metrics from the OAP double', async ({ page }) => {
  test.setTimeout(120_000);
  await openAsGuest(page, '/catalog/default/component/shop-frontend/skywalking-topology');
  // the structure comes from the local cluster, the calls from the OAP TEST DOUBLE
  const card = page.getByText(/\d+ nodes, \d+ calls, \d+ unresolved relations/);
  await expect(card).toBeVisible({ timeout: 60_000 });
  const [, nodes, calls] = /(\d+) nodes, (\d+) calls/.exec((await card.textContent()) ?? '') ?? [];
  // frontend workload, pod(s) and Service, plus the orders Service it calls
  expect(Number(nodes)).toBeGreaterThanOrEqual(4);
  expect(Number(calls)).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('sw-topology-graph').locator('canvas').first()).toBeVisible();
  await expect(page.getByTestId('sw-topology-legend')).toContainText('service');
  await page.screenshot({ path: `${shots}/topology-tab.png`, fullPage: true });
});
