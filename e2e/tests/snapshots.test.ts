import { expect, test } from '@playwright/test';
import {
  cell,
  createBackend,
  dialog,
  openBackends,
  paperOf,
  prepareVolumes,
  row,
  shot,
} from './backends';

/*
 * The README's snapshots of external storage (operations, item 5), driven in
 * the browser on the demo portal: a PostgreSQL backend with a snapshot
 * schedule and a PVC target on the local control plane, a snapshot taken now,
 * restored into the backend's own database while it is paused. KWOK runs the
 * OAP pods (Ready without a database) and completes the pg_dump and
 * pg_restore Jobs. Screenshots as in operations.test.ts
 * (docs/screenshots/operations-snapshot*.png with SWB_UPDATE_SCREENSHOTS=1).
 */

const NS = 'skywalking';
const CLUSTER = 'local';
const SNAPSHOT_CLAIM = 'db-snapshots';
let name = 'orders-pg';

test.describe.configure({ mode: 'serial' });
test.use({ viewport: { width: 1600, height: 1000 } });

test.beforeAll(async ({ request }) => {
  test.setTimeout(120_000);
  name = await createBackend(
    request,
    { cluster: CLUSTER, namespace: NS, name, prefix: 'orders-pg' },
    () => prepareVolumes(NS, [SNAPSHOT_CLAIM], [SNAPSHOT_CLAIM]),
    {
      version: '10.2.0',
      owner: 'group:default/guests',
      ui: { enabled: false },
      storage: {
        type: 'postgresql',
        external: {
          address: 'pg.databases:5432',
          secretName: 'pg-credentials',
          database: 'skywalking',
          snapshot: {
            schedule: '0 3 * * *',
            target: { pvc: { claimName: SNAPSHOT_CLAIM } },
          },
        },
      },
    },
  );
});

/** The Snapshots card of the backend's panel (opened from the backends table). */
const snapshotsCard = (page: import('@playwright/test').Page) =>
  paperOf(page.getByText('Snapshots', { exact: true }));

test('snapshot now: a pg_dump Job runs and its snapshot is listed Succeeded; restoring needs the backend paused', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await openBackends(page);
  await expect(cell(page, name, 3)).toHaveText('Ready', { timeout: 120_000 });
  await expect(cell(page, name, 7)).toHaveText('postgresql');
  await page.getByTestId(`backend-${name}`).click();
  const card = snapshotsCard(page);
  await expect(card).toContainText(
    `scheduled 0 3 * * *, to file:///backups/${name}`,
  );
  await expect(card).toContainText('History (0)');
  await card
    .getByRole('button', { name: 'Take snapshot now' })
    .click({ timeout: 60_000 });
  await expect(dialog(page)).toContainText(`Take a snapshot of ${name} now`);
  await expect(dialog(page)).toContainText('pg_dump');
  await dialog(page).getByRole('button', { name: 'Take snapshot' }).click();
  await expect(dialog(page)).toBeHidden({ timeout: 60_000 });
  await expect(card).toContainText('History (1)');
  const run = card.getByRole('row').filter({ hasText: `${name}-snap-` });
  await expect(run).toContainText('Succeeded', { timeout: 120_000 });
  await expect(run).toContainText('user:default/guest');
  // not paused: Restore… is there but disabled, with the reason
  const restore = run.getByRole('button', { name: 'Restore…' });
  await expect(restore).toBeDisabled();
  await expect(restore).toHaveAttribute('title', `pause ${name} first`);
  await expect(card).toContainText(
    `Pause ${name} to restore a snapshot: OAP would keep writing into the tables the restore replaces.`,
  );
  await card.scrollIntoViewIfNeeded();
  await shot(card, 'snapshots');
});

test('restore: with the backend paused, a pg_restore Job restores the snapshot into its database; then resume', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await openBackends(page);
  await page.getByTestId(`backend-${name}`).click();
  const card = snapshotsCard(page);
  const run = card.getByRole('row').filter({ hasText: `${name}-snap-` });
  await expect(run).toContainText('Succeeded');
  const snapshot = new RegExp(`${name}-snap-\\d{14}`).exec(
    (await run.textContent()) ?? '',
  )![0];

  // pause with the backends table's action; the open panel follows
  await row(page, name).getByRole('button', { name: 'Pause' }).click();
  await expect(dialog(page)).toContainText(`Pause ${name}`);
  await dialog(page).getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog(page)).toBeHidden();
  await expect(cell(page, name, 3)).toHaveText('Paused', { timeout: 90_000 });
  await expect(cell(page, name, 5)).toHaveText('0/0', { timeout: 60_000 });
  const restore = run.getByRole('button', { name: 'Restore…' });
  await expect(restore).toBeEnabled({ timeout: 30_000 });
  await expect(card).not.toContainText(`Pause ${name} to restore a snapshot`);

  await restore.click();
  await expect(dialog(page)).toContainText(
    `Restore snapshot ${snapshot} of ${name}`,
  );
  await expect(dialog(page)).toContainText(`${name} is paused.`);
  await shot(dialog(page), 'snapshot-restore-dialog');
  await dialog(page).getByRole('button', { name: 'Restore' }).click();
  await expect(dialog(page)).toBeHidden({ timeout: 60_000 });

  await expect(card).toContainText('Restores (1)');
  const restoreRun = card
    .getByRole('row')
    .filter({ hasText: `${name}-restore-` });
  await expect(restoreRun).toContainText(snapshot);
  await expect(restoreRun).toContainText('Succeeded', { timeout: 120_000 });
  await expect(restoreRun).toContainText('user:default/guest');
  await card.scrollIntoViewIfNeeded();
  await shot(card, 'snapshot-restored');

  await row(page, name).getByRole('button', { name: 'Resume' }).click();
  await expect(dialog(page)).toContainText(`Resume ${name}`);
  await dialog(page).getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog(page)).toBeHidden();
  await expect(cell(page, name, 5)).toHaveText('1/1', { timeout: 90_000 });
  await expect(cell(page, name, 3)).toHaveText('Ready', { timeout: 90_000 });
  await expect(restore).toBeDisabled({ timeout: 30_000 });
});
