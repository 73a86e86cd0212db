import { expect, test } from '@playwright/test';
import { guestToken } from './backends';
import { openAsGuest } from './signIn';
import { eventually, lastMinutes, oapQuery, realPods, realUnavailable } from './realCluster';

/*
 * Real SkyWalking on the real node (issue 14), where a person would look: the
 * cluster `real` runs the demo shop as real JVMs, PostgreSQL from the image
 * factory, and the real OAP this spec provisions from the template; the
 * tracing toggle injects the real Java agent; the Rover stand-in
 * (packages/rover-stand-in) streams the shop's calls to OAP as Rover's access
 * logs. Nothing here is a double.
 */

const shots = 'artifacts/screenshots';
const backend = { cluster: 'real', namespace: 'skywalking', name: 'demo' };

test.describe.configure({ mode: 'serial' });
// a locator that never matches fails within this, not at the end of a test's long timeout
test.use({ actionTimeout: 30_000 });
test.skip(!!realUnavailable, `no real node: ${realUnavailable}`);

test('provisions a real OAP on PostgreSQL from the template and it turns Ready by OAP\'s own readiness', async ({ page }) => {
  test.setTimeout(900_000);
  await openAsGuest(page, '/create');
  await page.getByRole('article').filter({ hasText: 'SkyWalking backend' }).getByRole('button', { name: 'Choose' }).click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(backend.name);
  await page.getByRole('textbox', { name: 'Cluster' }).click();
  await page.getByRole('option', { name: backend.cluster, exact: true }).click();
  await page.getByLabel('Namespace').fill(backend.namespace);
  await page.keyboard.press('Escape');
  const owner = page.getByRole('combobox', { name: 'Owner' }).or(page.getByLabel('Owner')).first();
  await owner.click({ timeout: 15_000 });
  await page.keyboard.type('guests');
  await page.getByRole('option', { name: /guests/ }).click({ timeout: 15_000 });
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByLabel('SkyWalking version')).toHaveValue('10.1.0');
  await page.getByLabel('Storage').click();
  await page.getByRole('option', { name: 'PostgreSQL (external)' }).click();
  await page.getByRole('textbox', { name: 'Storage address' }).fill('postgresql.databases:5432');
  await page.getByRole('textbox', { name: 'Credentials Secret' }).fill('skywalking-storage');
  // the SkyWalking UI image is not buildable here: OAP only
  await page.getByLabel('Deploy the SkyWalking UI').uncheck();
  await page.screenshot({ path: `${shots}/real-template-components.png`, fullPage: true });
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  // the action waits for Ready: the backend's Ready condition follows OAP's /healthcheck readiness
  const started = Date.now();
  await expect(page.getByRole('link', { name: 'SkyWalking backends' })).toBeVisible({ timeout: 840_000 });
  test.info().annotations.push({ type: 'measure', description: `real OAP cold start to Ready from the template: ${((Date.now() - started) / 1000).toFixed(0)} s` });

  await page.getByRole('link', { name: 'SkyWalking backends' }).click();
  const row = page.getByRole('row').filter({ hasText: backend.name }).filter({ hasText: backend.cluster });
  await expect(row).toContainText('Ready');
  await expect(row).toContainText('postgresql');
  // OAP's GraphQL answers through the API server's service proxy
  const v = await oapQuery(backend, '{ version }');
  expect(v.version).toMatch(/^10\.1\.0/);
});

test('the tracing toggle restarts the real shop pods with the real agent and OAP lists the service with traces and load', async ({ page }) => {
  test.setTimeout(600_000);
  await openAsGuest(page, '/catalog/default/component/real-shop-orders');
  const toggle = page.getByRole('checkbox', { name: 'Tracing' });
  await expect(toggle).toBeEnabled({ timeout: 30_000 });
  await expect(page.getByRole('button', { name: /demo \(real\/skywalking\)/ }).or(page.getByText('demo (real/skywalking)')).first()).toBeVisible();
  if (await toggle.isChecked()) {
    await toggle.click();
    await expect(toggle).not.toBeChecked();
  }
  const on = Date.now();
  await toggle.click();
  await expect(toggle).toBeChecked();
  await expect(page.getByTestId('sw-workload').first()).toContainText(/2\/2 pods injected/, { timeout: 240_000 });
  const pods = await eventually('both orders pods Ready with the agent', async () => {
    const p = await realPods('shop', 'app=orders');
    return p.length === 2 && p.every(x => x.ready && x.agent) && p;
  }, 240_000);
  expect(pods.every(p => p.node?.startsWith('real-node-'))).toBe(true);

  // the real agent reports: OAP lists the service in layer GENERAL, with traces and service_cpm > 0
  const services = await eventually('OAP lists real-shop-orders in layer GENERAL', async () => {
    const d = await oapQuery(backend, '{ listServices(layer: "GENERAL") { id name } }');
    return d.listServices.find((s: any) => s.name === 'real-shop-orders') && d.listServices;
  }, 300_000, 5000);
  const id = services.find((s: any) => s.name === 'real-shop-orders').id;
  const traces = await eventually('a trace of real-shop-orders', async () => {
    const d = await oapQuery(backend, `{ queryBasicTraces(condition: { serviceId: "${id}", queryDuration: ${lastMinutes(30)}, traceState: ALL, queryOrder: BY_START_TIME, paging: { pageNum: 1, pageSize: 20 } }) { traces { traceIds endpointNames duration isError } } }`);
    // the kubelet's probes are traced too (GET:/ready): wait for a call the frontend made
    const served = d.queryBasicTraces.traces.filter((t: any) => t.endpointNames.some((n: string) => /orders/.test(n)));
    return served.length > 0 && served;
  }, 180_000, 5000);
  test.info().annotations.push({ type: 'measure', description: `tracing on to first trace in OAP: ${((Date.now() - on) / 1000).toFixed(0)} s` });
  expect(traces[0].endpointNames.join(' ')).toMatch(/orders/);
  const cpm = await eventually('service_cpm > 0', async () => {
    const d = await oapQuery(backend, `{ execExpression(expression: "service_cpm", entity: { serviceName: "real-shop-orders", normal: true }, duration: ${lastMinutes(30)}) { error results { values { value } } } }`);
    const values = (d.execExpression.results ?? []).flatMap((r: any) => r.values).map((v: any) => Number(v.value)).filter((v: number) => v > 0);
    return values.length > 0 && Math.max(...values);
  }, 180_000, 5000);
  expect(cpm).toBeGreaterThan(0);
  await page.reload();
  await page.getByText('SkyWalking tracing').scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/real-tracing-card.png` });
});

test('the topology tab draws the real shop\'s calls with metrics from the real OAP over the Kubernetes structure', async ({ page }) => {
  test.setTimeout(600_000);
  // the frontend's agent too, so the GENERAL layer has the frontend -> orders call
  await openAsGuest(page, '/catalog/default/component/real-shop-frontend');
  const toggle = page.getByRole('checkbox', { name: 'Tracing' });
  await expect(toggle).toBeEnabled({ timeout: 30_000 });
  if (!(await toggle.isChecked())) await toggle.click();
  await expect(toggle).toBeChecked();
  await expect(page.getByTestId('sw-workload').first()).toContainText(/2\/2 pods injected/, { timeout: 240_000 });

  // OAP's K8S_SERVICE layer (from the Rover stand-in) knows the shop's Services and calls
  await eventually('OAP\'s K8S_SERVICE topology has shop-frontend -> shop-orders', async () => {
    const d = await oapQuery(backend, `{ getGlobalTopology(duration: ${lastMinutes(15)}, layer: "K8S_SERVICE") { nodes { id name } calls { source target } } }`);
    const name = (id: string) => d.getGlobalTopology.nodes.find((n: any) => n.id === id)?.name ?? '';
    return d.getGlobalTopology.calls.some((c: any) => /shop-frontend/.test(name(c.source)) && /shop-orders/.test(name(c.target)));
  }, 300_000, 5000);

  await eventually('the topology tab shows calls from the real OAP', async () => {
    await page.goto('/catalog/default/component/real-shop-frontend/skywalking-topology');
    const card = page.getByText(/\d+ nodes, \d+ calls, \d+ unresolved relations/);
    await card.waitFor({ timeout: 60_000 });
    const [, nodes, calls] = /(\d+) nodes, (\d+) calls/.exec((await card.textContent()) ?? '') ?? [];
    return Number(nodes) >= 4 && Number(calls) >= 1;
  }, 240_000, 10_000);
  await expect(page.getByTestId('sw-topology-graph').locator('canvas').first()).toBeVisible();
  // the source is the backend's OAP through the service proxy, not a configured URL (the double)
  const token = await guestToken(page.request);
  const from = new Date(Date.now() - 15 * 60_000).toISOString();
  const res = await page.request.get(`/api/skywalking/topology?entityRef=component:default/real-shop-frontend&from=${from}&to=${new Date().toISOString()}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.ok()).toBe(true);
  const topology = await res.json();
  expect(topology.oap.via).toBe('service-proxy');
  expect(topology.backend).toMatchObject(backend);
  await page.screenshot({ path: `${shots}/real-topology-tab.png`, fullPage: true });
});

test('tracing off: the real shop pods roll out again without the agent', async ({ page }) => {
  test.setTimeout(300_000);
  await openAsGuest(page, '/catalog/default/component/real-shop-orders');
  const toggle = page.getByRole('checkbox', { name: 'Tracing' });
  await expect(toggle).toBeChecked({ timeout: 30_000 });
  await toggle.click();
  await expect(toggle).not.toBeChecked();
  await expect(page.getByTestId('sw-workload').first()).toContainText(/0\/2 pods injected/, { timeout: 240_000 });
  const pods = await eventually('both orders pods Ready without the agent', async () => {
    const p = await realPods('shop', 'app=orders');
    return p.length === 2 && p.every(x => x.ready && !x.agent) && p;
  }, 240_000);
  expect(pods).toHaveLength(2);
});
