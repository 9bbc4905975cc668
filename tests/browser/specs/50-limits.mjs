// A server with no free trials and a tight login limit: a submission answered 402 offers
// credits, a login answered 429 says when to retry, and going offline shows the banner.
// tests/e2e/browser.rs runs it against such a server (GLIMVID_FREE_TRIALS=0,
// GLIMVID_RATE_LIMIT_LOGIN=2/1m) and sets GLIMVID_TEST_LIMITS=1.
import path from 'node:path';
import { register, PASSWORD } from './01-flow.mjs';

export const title = '402 offers credits, 429 says when to retry, offline is shown';
export const requires = ['GLIMVID_TEST_LIMITS'];
export const why = 'it needs a server without free trials; tests/e2e/browser.rs starts one for it';

export async function run(ctx) {
  const { assert } = ctx;
  const page = await ctx.newPage();
  const address = await register(page, ctx, 'limits', { check: false });
  await page.locator('#photo-input').setInputFiles(path.join(ctx.fixtures, 'coffee.png'));
  await page.getByLabel('Description').fill('A cup nobody pays for');
  await page.getByRole('button', { name: 'Make my video' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'No credits or free trials left.' });
  await refusal.waitFor();
  await refusal.getByRole('link', { name: 'Get credits on your account page' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.locator('#buy').waitFor();

  // Each attempt waits for its own answer (a stale alert from the previous attempt must not
  // stand in for it) and the loop stops at the first 429.
  await ctx.newPage().then(async (p2) => {
    let status = 0;
    for (let i = 0; i < 6 && status !== 429; i++) {
      await p2.goto(`${ctx.base}/#/login`);
      await p2.getByLabel('Email').fill(address);
      await p2.getByLabel('Password').fill(`${PASSWORD}-wrong`);
      const answer = p2.waitForResponse(
        (r) => r.url().endsWith('/auth/login') && r.request().method() === 'POST');
      await p2.getByRole('button', { name: 'Log in' }).click();
      status = (await answer).status();
    }
    assert(status === 429, `the login limit answers 429 within 6 attempts (last: ${status})`);
    const alert = p2.getByRole('alert').filter({ hasText: 'Too many requests' });
    await alert.waitFor();
    const text = await alert.innerText();
    assert(/Too many requests\. Try again in \d+ seconds\./.test(text), `429 says when: ${text}`);
  });

  await page.context().setOffline(true);
  await page.getByText('You are offline.').waitFor();
  await page.context().setOffline(false);
  await page.locator('#offline').waitFor({ state: 'hidden' });
}
