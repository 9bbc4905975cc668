// The server's step-up checks (X-Glimvid-Password) and POST /api/v1/account/password, in the app.
import { register, PASSWORD } from './01-flow.mjs';

export const title = 'step-up password checks and changing the password';

export async function run(ctx) {
  const page = await ctx.newPage();
  const address = await register(page, ctx, 'stepup', { check: false });
  await page.goto(`${ctx.base}/#/account`);
  const exp = page.locator('section[aria-labelledby=h-export]');
  await exp.getByLabel('Password').fill('not-my-password-at-all');
  await exp.getByRole('button', { name: 'Export' }).click();
  await exp.getByRole('alert').filter({ hasText: 'The password is not right.' }).waitFor();

  const pw = page.locator('section[aria-labelledby=h-password]');
  const NEW = 'a-brand-new-passphrase-77';
  await pw.getByLabel('Current password').fill(PASSWORD);
  await pw.getByLabel('New password').fill(NEW);
  await pw.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed').waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/#\/login$/);
  await page.getByLabel('Email').fill(address);
  await page.getByLabel('Password').fill(NEW);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/#\/videos$/);
}
