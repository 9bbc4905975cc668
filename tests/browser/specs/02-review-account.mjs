// Review before paying (edit a caption, reorder scenes, render with the price shown), then the
// account: usage, training opt-out, API key (secret shown once), webhook, export, Chinese, and
// deleting the account with the password.
import { register, submitVideo, PASSWORD } from './01-flow.mjs';

export const title = 'review-and-edit, account screens, export, Chinese, delete the account (desktop)';

export async function run(ctx) {
  const { assert } = ctx;
  const page = await ctx.newPage();
  const address = await register(page, ctx, 'review', { check: false });
  const id = await submitVideo(page, ctx, { review: true, photos: ['coffee.png', 'rocket.jpg'] });
  await page.getByRole('heading', { name: 'Review before paying' }).waitFor({ timeout: 180000 });
  await page.getByText(/Rendering uses 1 free trial/).waitFor();
  await ctx.checkA11y(page, 'review');
  await ctx.screenshot(page, 'review');

  const firstCaption = page.getByLabel('Caption').first();
  await firstCaption.fill('Edited in the browser');
  const secondBefore = await page.getByLabel('Caption').nth(1).inputValue();
  await page.getByRole('button', { name: 'Move scene 2 earlier' }).click();
  assert(await page.getByLabel('Caption').first().inputValue() === secondBefore, 'scene 2 moved first');
  assert(await page.getByLabel('Caption').nth(1).inputValue() === 'Edited in the browser', 'the edited scene moved second');
  await page.getByRole('button', { name: 'Render and pay' }).click();
  await page.locator('video').waitFor({ timeout: 240000 });
  const job = await page.evaluate(async (jobId) => {
    const s = JSON.parse(localStorage.getItem('glimvid.session'));
    const r = await fetch(`/api/v1/videos/${jobId}`, { headers: { authorization: `Bearer ${s.access_token}` } });
    return r.json();
  }, id);
  assert(job.status === 'succeeded', `rendered: ${job.status}`);
  assert(job.script.scenes[1].caption === 'Edited in the browser' && job.script.scenes[0].caption === secondBefore,
    `the rendered script has the edits: ${JSON.stringify(job.script.scenes.map((s) => s.caption))}`);

  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.locator('#trials').waitFor();
  await page.getByRole('cell', { name: 'Video made' }).first().waitFor();
  await ctx.checkA11y(page, 'account');
  await ctx.screenshot(page, 'account');

  const opt = page.getByLabel('Keep my content out of any training data');
  await opt.check();
  await page.locator('.toast').filter({ hasText: 'Saved' }).waitFor();

  // An API key: created with the password, its secret shown once.
  const keys = page.locator('section[aria-labelledby=h-keys]');
  await keys.getByLabel('Name').fill('shop integration');
  await keys.getByLabel('Password').fill(PASSWORD);
  await keys.getByRole('button', { name: 'Create key' }).click();
  const secret = await keys.getByRole('textbox', { name: 'API key' }).inputValue();
  assert(secret.startsWith('gv_'), `the key's secret is shown: ${secret.slice(0, 8)}…`);
  await keys.getByRole('button', { name: 'Revoke key shop integration' }).waitFor();

  // A webhook whose URL the server refuses (not public): its reason is shown.
  const hooks = page.locator('section[aria-labelledby=h-hooks]');
  await hooks.getByLabel('URL').fill('http://127.0.0.1:9/hook');
  await hooks.getByRole('button', { name: 'Add webhook' }).click();
  await hooks.getByRole('alert').waitFor();

  // Export: a zip download.
  const exp = page.locator('section[aria-labelledby=h-export]');
  await exp.getByLabel('Password').fill(PASSWORD);
  const [download] = await Promise.all([page.waitForEvent('download'), exp.getByRole('button', { name: 'Export' }).click()]);
  assert(download.suggestedFilename() === 'glimvid-export.zip', `export file ${download.suggestedFilename()}`);

  // Chinese: the whole interface switches, is remembered, and stays accessible.
  await page.locator('#lang').selectOption('zh');
  await page.getByRole('heading', { name: '您的账户' }).waitFor();
  assert(await page.evaluate(() => document.documentElement.lang) === 'zh', 'html lang follows');
  await ctx.checkA11y(page, 'account (zh)');
  await page.reload();
  await page.getByRole('heading', { name: '您的账户' }).waitFor();
  await page.getByRole('link', { name: '新建视频' }).click();
  await page.getByRole('heading', { name: '制作视频' }).waitFor();
  assert(await page.locator('select[name=language]').inputValue() === 'zh', 'a new job defaults to the interface language');
  await ctx.checkA11y(page, 'new video (zh)');
  await ctx.screenshot(page, 'new-video-zh');
  await page.locator('#lang').selectOption('en');
  await page.getByRole('heading', { name: 'Make a video' }).waitFor();

  // Delete the account with the password; the login then fails.
  await page.getByRole('link', { name: 'Account' }).click();
  const del = page.locator('section[aria-labelledby=h-delete]');
  await del.getByLabel('Password').fill(PASSWORD);
  await del.getByRole('button', { name: 'Delete my account' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete my account' }).click();
  await page.waitForURL(/#\/(register|login)$/);
  await page.goto(`${ctx.base}/#/login`);
  await page.getByLabel('Email').fill(address);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
}
