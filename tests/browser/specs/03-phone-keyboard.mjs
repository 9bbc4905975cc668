// A phone (375 px) driven by the keyboard only: register, the screens fit the width and pass
// axe; a reused refresh token logs out.
import { PASSWORD, email } from './01-flow.mjs';

export const title = 'phone width (375 px), keyboard only, refresh rotation';

export async function run(ctx) {
  const { assert } = ctx;
  const page = await ctx.newPage({ width: 375, height: 740, locale: 'zh-CN' });
  await page.goto(`${ctx.base}/#/register`);
  // The browser's language picks Chinese.
  await page.getByRole('heading', { name: '创建账户' }).waitFor();
  await ctx.fitsWidth(page, 'register (phone)');
  await ctx.checkA11y(page, 'register (phone, zh)');
  await ctx.screenshot(page, 'register-phone-zh');

  // Keyboard only: focus starts in the email field; Tab moves through the form.
  await page.keyboard.type(email('phone'));
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  assert(await page.locator('#age').isChecked(), 'the age box is reachable and checked by keyboard');
  await page.keyboard.press('Tab');
  assert(await page.evaluate(() => document.activeElement.type) === 'submit', 'Tab reaches the submit button');
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/new$/);
  await page.getByRole('heading', { name: '制作视频' }).waitFor();
  await ctx.fitsWidth(page, 'new video (phone)');
  await ctx.checkA11y(page, 'new video (phone)');
  await ctx.screenshot(page, 'new-video-phone');

  for (const [hash, heading] of [['#/videos', '我的视频'], ['#/account', '您的账户']]) {
    await page.goto(`${ctx.base}/${hash}`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    await ctx.fitsWidth(page, `${hash} (phone)`);
    await ctx.checkA11y(page, `${hash} (phone)`);
  }

  // Refresh rotation: an expired access token is refreshed; a refresh token used twice ends the session.
  const before = await page.evaluate(() => JSON.parse(localStorage.getItem('glimvid.session')));
  await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('glimvid.session'));
    s.expires_at = Date.now() - 1000;
    localStorage.setItem('glimvid.session', JSON.stringify(s));
  });
  await page.reload();
  await page.getByRole('heading', { name: '您的账户' }).waitFor();
  await page.waitForLoadState('networkidle');
  const after = await page.evaluate(() => JSON.parse(localStorage.getItem('glimvid.session')));
  assert(after && after.refresh_token !== before.refresh_token, 'the pair was rotated');
  await page.evaluate((old) => {
    const s = JSON.parse(localStorage.getItem('glimvid.session'));
    s.refresh_token = old;
    s.expires_at = Date.now() - 1000;
    localStorage.setItem('glimvid.session', JSON.stringify(s));
  }, before.refresh_token);
  await page.reload();
  await page.waitForURL(/#\/login$/);
  await page.getByText('您的会话已结束，请重新登录。').waitFor();
  assert(await page.evaluate(() => localStorage.getItem('glimvid.session')) === null, 'the session is forgotten');
}
