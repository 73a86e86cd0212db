import { expect, test } from '@playwright/test';
import { openAsGuest } from './signIn';

const shots = 'artifacts/screenshots';

test('backend reports ready on the health endpoint', async ({ request }) => {
  const res = await request.get('/.backstage/health/v1/readiness');
  expect(res.ok()).toBe(true);
  expect(await res.json()).toMatchObject({ status: 'ok' });
});

test('guest signs in and the catalog lists the demo components', async ({ page }) => {
  await openAsGuest(page, '/catalog');
  await expect(page.getByRole('heading', { name: /SkyWalking Demo Catalog/ })).toBeVisible();
  await expect(page.getByRole('link', { name: 'shop-frontend', exact: true })).toBeVisible();
  await expect(page.getByText('SkyWalking', { exact: true }).first()).toBeVisible();
  await page.screenshot({ path: `${shots}/catalog.png`, fullPage: true });
});

test('the SkyWalking backends page renders with the configured cluster', async ({ page }) => {
  await openAsGuest(page, '/skywalking');
  await expect(page.getByRole('heading', { name: 'SkyWalking backends' })).toBeVisible();
  await expect(page.getByText(/local: reachable/)).toBeVisible();
  await page.screenshot({ path: `${shots}/backends-page.png`, fullPage: true });
});
