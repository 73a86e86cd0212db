import { expect, Page } from '@playwright/test';

/** Opens a page of the portal, entering as the guest user when the sign-in page shows. */
export async function openAsGuest(page: Page, path: string) {
  await page.goto(path);
  const enter = page.getByRole('button', { name: 'Enter' });
  // either the sign-in page or the portal's sidebar shows up
  await expect(enter.or(page.getByRole('navigation')).first()).toBeVisible();
  if (await enter.isVisible()) {
    await enter.click();
    await expect(enter).toBeHidden();
  }
}
