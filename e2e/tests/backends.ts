import { APIRequestContext, expect, Locator, Page, test } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { openAsGuest } from './signIn';

/*
 * What the operations specs share: screenshots for the README, the guest's
 * token for the REST API, volumes on the local control plane, and locators of
 * the backends page.
 */

const docsShots = path.resolve(__dirname, '../../docs/screenshots');

/**
 * Screenshot of an element, or of the page clipped to the box around several
 * elements, into the Playwright output dir as operations-<step>.png, and with
 * SWB_UPDATE_SCREENSHOTS=1 also into docs/screenshots (`npm run screenshots`).
 */
export async function shot(
  target: Locator | { page: Page; around: Locator[] },
  step: string,
) {
  const file = `operations-${step}.png`;
  const paths = [test.info().outputPath(file)];
  if (process.env.SWB_UPDATE_SCREENSHOTS === '1')
    paths.push(path.join(docsShots, file));
  let clip: { x: number; y: number; width: number; height: number } | undefined;
  if ('around' in target) {
    await target.around[0].scrollIntoViewIfNeeded();
    const boxes = await Promise.all(
      target.around.map(async l => (await l.boundingBox())!),
    );
    const x = Math.min(...boxes.map(b => b.x));
    const y = Math.min(...boxes.map(b => b.y));
    clip = {
      x,
      y,
      width: Math.max(...boxes.map(b => b.x + b.width)) - x,
      height: Math.max(...boxes.map(b => b.y + b.height)) - y,
    };
  }
  for (const p of paths) {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const options = {
      path: p,
      animations: 'disabled' as const,
      caret: 'hide' as const,
    };
    await ('around' in target
      ? target.page.screenshot({ ...options, clip })
      : target.screenshot(options));
  }
}

export async function guestToken(request: APIRequestContext) {
  const res = await request.get('/api/auth/guest/refresh');
  expect(res.ok()).toBe(true);
  return (await res.json()).backstageIdentity.token as string;
}

/**
 * The namespace, a PersistentVolume bound in advance to each of `boundClaims`
 * (the local cluster has no provisioner) and the claims `pvcs` themselves
 * (their volumes must be among `boundClaims`).
 */
export async function prepareVolumes(
  namespace: string,
  boundClaims: string[],
  pvcs: string[],
) {
  const kubeconfig = process.env.SWB_TEST_KUBECONFIG;
  if (!kubeconfig)
    throw new Error(
      'SWB_TEST_KUBECONFIG is not set: run through `npm test -- e2e`',
    );
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const exists = (e: any) => e?.code === 409;
  await core
    .createNamespace({ body: { metadata: { name: namespace } } })
    .catch(e => {
      if (!exists(e)) throw e;
    });
  for (const claim of boundClaims) {
    await core
      .createPersistentVolume({
        body: {
          metadata: { name: `${namespace}-${claim}` },
          spec: {
            capacity: { storage: '1Gi' },
            accessModes: ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: 'Retain',
            storageClassName: '',
            hostPath: { path: `/tmp/${namespace}/${claim}` },
            claimRef: { namespace, name: claim },
          },
        },
      })
      .catch(e => {
        if (!exists(e)) throw e;
      });
  }
  for (const claim of pvcs) {
    await core
      .createNamespacedPersistentVolumeClaim({
        namespace,
        body: {
          metadata: { name: claim },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: '',
            resources: { requests: { storage: '1Gi' } },
          },
        },
      })
      .catch(e => {
        if (!exists(e)) throw e;
      });
  }
}

/**
 * Creates a backend through the REST API as the guest user: `ref.name`, or
 * `<prefix>-<time>` when a cluster left running by an earlier run holds that
 * name already. `prepare` runs first with the name used (volumes); returns it.
 */
export async function createBackend(
  request: APIRequestContext,
  ref: { cluster: string; namespace: string; name: string; prefix: string },
  prepare: (name: string) => Promise<void>,
  spec: Record<string, unknown>,
) {
  const headers = { Authorization: `Bearer ${await guestToken(request)}` };
  let name = ref.name;
  if (
    (
      await request.get(
        `/api/skywalking/backends/${ref.cluster}/${ref.namespace}/${name}`,
        { headers },
      )
    ).ok()
  ) {
    name = `${ref.prefix}-${Date.now().toString(36)}`;
  }
  await prepare(name);
  const res = await request.post('/api/skywalking/backends', {
    headers,
    data: { ...spec, name, namespace: ref.namespace, cluster: ref.cluster },
  });
  expect(res.status(), await res.text()).toBe(201);
  return name;
}

export const row = (page: Page, backend: string) =>
  page.getByRole('row').filter({ has: page.getByTestId(`backend-${backend}`) });
// columns of the backends table: Name, Cluster, Namespace, Status, Version, OAP, UI, Storage, Owner, Actions
export const cell = (page: Page, backend: string, column: number) =>
  row(page, backend).getByRole('cell').nth(column);
// the Paper around a card or table (the app's class names carry a prefix and a counter)
export const paperOf = (inner: Locator) =>
  inner.locator('xpath=ancestor::div[contains(@class, "Paper-root")][1]');
export const backendsTable = (page: Page) =>
  paperOf(page.getByRole('heading', { name: /^Backends \(\d+\)$/ }));
export const dialog = (page: Page) => page.getByRole('dialog');

export async function openBackends(page: Page) {
  await openAsGuest(page, '/skywalking');
  await expect(
    page.getByRole('heading', { name: 'SkyWalking backends' }),
  ).toBeVisible();
}
