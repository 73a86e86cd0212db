import { expect, test } from '@playwright/test';
import {
  backendsTable,
  cell,
  createBackend,
  dialog,
  guestToken,
  openBackends,
  paperOf,
  prepareVolumes,
  row,
  shot,
} from './backends';

/*
 * The README's operations guide, driven in the browser on the demo portal:
 * scale, upgrade, pause, resume, back up and restore one BanyanDB backend on
 * the local control plane (KWOK runs the pods and completes the backup Job).
 * Each step takes a screenshot into the Playwright output dir, and with
 * SWB_UPDATE_SCREENSHOTS=1 also into docs/screenshots/operations-<step>.png
 * (`npm run screenshots`).
 */

const NS = 'skywalking';
const CLUSTER = 'local';
const BACKUP_CLAIM = 'skywalking-backups';
let name = 'shop-tracing';

test.describe.configure({ mode: 'serial' });
// wide enough that the backends table does not wrap its cells
test.use({ viewport: { width: 1600, height: 1000 } });

test.beforeAll(async ({ request }) => {
  test.setTimeout(120_000);
  name = await createBackend(
    request,
    { cluster: CLUSTER, namespace: NS, name, prefix: 'ops' },
    n =>
      prepareVolumes(
        NS,
        [`data-${n}-banyandb-0`, `data-${n}-restored-banyandb-0`, BACKUP_CLAIM],
        [BACKUP_CLAIM],
      ),
    {
      version: '10.2.0',
      owner: 'group:default/guests',
      storage: {
        type: 'banyandb',
        banyandb: {
          version: '0.9.0',
          storageSize: '1Gi',
          backup: {
            schedule: '@daily',
            target: { pvc: { claimName: BACKUP_CLAIM } },
          },
        },
      },
    },
  );
});

test('scale: the OAP replicas of a backend go from 1 to 2', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await openBackends(page);
  await expect(cell(page, name, 3)).toHaveText('Ready', { timeout: 120_000 });
  await expect(cell(page, name, 5)).toHaveText('1/1');
  await row(page, name).getByRole('button', { name: 'Scale' }).click();
  await expect(dialog(page)).toContainText(`Scale OAP of ${name}`);
  await dialog(page).getByLabel('OAP replicas').fill('2');
  await shot(dialog(page), 'scale-dialog');
  await dialog(page).getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog(page)).toBeHidden();
  await expect(cell(page, name, 5)).toHaveText('2/2', { timeout: 90_000 });
  await expect(cell(page, name, 3)).toHaveText('Ready', { timeout: 60_000 });
  await shot(backendsTable(page), 'scaled');
});

test('upgrade: OAP and UI roll to a new version and the dialog reports the outcome', async ({
  page,
}) => {
  test.setTimeout(240_000);
  await openBackends(page);
  await expect(cell(page, name, 4)).toHaveText('10.2.0');
  await row(page, name).getByRole('button', { name: 'Upgrade' }).click();
  await expect(dialog(page)).toContainText(`Upgrade ${name}`);
  await dialog(page).getByLabel('SkyWalking version').fill('10.3.0');
  await dialog(page).getByLabel('Deadline per step (seconds)').fill('300');
  await shot(dialog(page), 'upgrade-dialog');
  await dialog(page).getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog(page)).toBeHidden();
  await expect(cell(page, name, 4)).toHaveText('10.3.0', { timeout: 180_000 });
  await expect(cell(page, name, 3)).toHaveText('Ready', { timeout: 180_000 });
  // the dialog tells how the last upgrade ended (condition Upgraded)
  await page.reload();
  await row(page, name).getByRole('button', { name: 'Upgrade' }).click();
  await expect(dialog(page).getByRole('status')).toContainText(
    /Last upgrade succeeded/,
    { timeout: 60_000 },
  );
  await shot(dialog(page), 'upgraded');
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();
});

test('pause: OAP and UI go to zero and the backend shows Paused', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await openBackends(page);
  await row(page, name).getByRole('button', { name: 'Pause' }).click();
  await expect(dialog(page)).toContainText(`Pause ${name}`);
  await shot(dialog(page), 'pause-dialog');
  await dialog(page).getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog(page)).toBeHidden();
  await expect(cell(page, name, 3)).toHaveText('Paused', { timeout: 90_000 });
  await expect(cell(page, name, 5)).toHaveText('0/0', { timeout: 60_000 });
  await expect(
    row(page, name).getByRole('button', { name: 'Resume' }),
  ).toBeVisible();
  await shot(backendsTable(page), 'paused');
});

test('resume: the backend comes back with the replicas it had before the pause', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await openBackends(page);
  await row(page, name).getByRole('button', { name: 'Resume' }).click();
  await expect(dialog(page)).toContainText(`Resume ${name}`);
  await dialog(page).getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog(page)).toBeHidden();
  await expect(cell(page, name, 5)).toHaveText('2/2', { timeout: 90_000 });
  await expect(cell(page, name, 3)).toHaveText('Ready', { timeout: 90_000 });
  await expect(
    row(page, name).getByRole('button', { name: 'Pause' }),
  ).toBeVisible();
  await shot(backendsTable(page), 'resumed');
});

test('backup and restore: a backup Job succeeds and its backup is restored into a new backend', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await openBackends(page);
  await page.getByTestId(`backend-${name}`).click();
  const backups = paperOf(page.getByText('Backups', { exact: true }));
  await expect(backups).toContainText(
    `scheduled @daily, to file:///backups/${name}`,
  );
  await expect(backups).toContainText('History (0)');
  await backups
    .getByRole('button', { name: 'Back up now' })
    .click({ timeout: 60_000 });
  await expect(dialog(page)).toContainText(`Back up ${name} now`);
  await shot(dialog(page), 'backup-dialog');
  await dialog(page).getByRole('button', { name: 'Back up' }).click();
  await expect(dialog(page)).toBeHidden({ timeout: 60_000 });
  await expect(backups).toContainText('History (1)');
  const run = backups.getByRole('row').filter({ hasText: /\d{4}-\d{2}-\d{2}/ });
  await expect(run).toContainText('Succeeded', { timeout: 120_000 });
  await expect(run).toContainText('user:default/guest');
  await backups.scrollIntoViewIfNeeded();
  await shot(backups, 'backups');

  const backupDir = /\d{4}-\d{2}-\d{2}(-\d{2})?/.exec(
    (await run.textContent()) ?? '',
  )![0];
  await run.getByRole('button', { name: 'Restore…' }).click();
  await expect(dialog(page)).toContainText(
    `Restore backup ${backupDir} of ${name}`,
  );
  await expect(dialog(page).getByLabel('New backend name')).toHaveValue(
    `${name}-restored`,
  );
  await shot(dialog(page), 'restore-dialog');
  await dialog(page).getByRole('button', { name: 'Restore' }).click();
  await expect(dialog(page)).toBeHidden({ timeout: 60_000 });

  // the restored backend: its BanyanDB restores the backup before it starts, then Restored=True
  const restored = `${name}-restored`;
  const headers = { Authorization: `Bearer ${await guestToken(page.request)}` };
  await expect
    .poll(
      async () => {
        const res = await page.request.get(
          `/api/skywalking/backends/${CLUSTER}/${NS}/${restored}`,
          { headers },
        );
        const detail = res.ok() ? await res.json() : undefined;
        return detail?.conditions?.find((c: any) => c.type === 'Restored');
      },
      { timeout: 180_000, intervals: [2_000] },
    )
    .toMatchObject({ status: 'True', message: `backup ${backupDir} restored` });
  // the list refreshes on its own (every 30 s, every 5 s while a backend converges)
  await expect(cell(page, restored, 3)).toHaveText('Ready', {
    timeout: 180_000,
  });
  await page.getByTestId(`backend-${restored}`).click();
  const conditions = paperOf(page.getByRole('heading', { name: 'Conditions' }));
  await expect(
    conditions
      .getByRole('row')
      .filter({ hasText: `backup ${backupDir} restored` }),
  ).toContainText('True');
  await shot(
    {
      page,
      around: [
        paperOf(page.getByText(`${NS}/${restored}`, { exact: true })),
        conditions,
      ],
    },
    'restored',
  );
});
