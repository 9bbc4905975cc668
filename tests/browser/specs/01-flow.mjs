// The main path on a desktop: register → make a video → reload mid-job (progress resumes) →
// watch it finish → play and seek it (its AAC narration decoded, subtitles offered) → list →
// a refused upload shows the server's reason → delete it. axe-core on every screen; the first
// load's transfer size is measured.
import path from 'node:path';

export const title = 'register, make a video, resume after reload, play, refused upload, delete (desktop, en)';

export const PASSWORD = 'violet-teapot-orbit-42';
export const email = (tag) => `browser-${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

/** Bytes transferred by the first load of the app (a fresh context: nothing cached). */
async function firstLoadBytes(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    return (nav ? nav.transferSize : 0) + res.reduce((n, r) => n + r.transferSize, 0);
  });
}

export async function register(page, ctx, tag, { check = true } = {}) {
  const { assert } = ctx;
  const address = email(tag);
  await page.goto(`${ctx.base}/#/register`);
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await page.getByLabel('Email').fill(address);
  const pw = page.getByLabel('Password', { exact: true });
  if (check) {
    await pw.fill('short');
    assert(await page.getByText('At least 10 characters (5 so far)').isVisible(), 'the length rule is shown as the user types');
    await page.getByLabel('I am 16 or older').check();
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('The password does not meet the rules.').waitFor();
  }
  await pw.fill(PASSWORD);
  await page.getByLabel('I am 16 or older').check();
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/#\/new$/);
  return address;
}

export async function submitVideo(page, ctx, { review = false, photos = ['coffee.png'], description = 'Handmade ceramic espresso cup, 90 ml, dishwasher safe' } = {}) {
  await page.getByRole('heading', { name: 'Make a video' }).waitFor();
  await page.locator('#photo-input').setInputFiles(photos.map((p) => path.join(ctx.fixtures, p)));
  await page.getByRole('img', { name: /Photo 1:/ }).waitFor();
  await page.getByLabel('Description').fill(description);
  await page.getByLabel('Duration').selectOption('5');
  if (review) await page.getByLabel('Let me review the script before paying').check();
  await page.getByRole('button', { name: 'Make my video' }).click();
  await page.waitForURL(/#\/videos\/[\w-]+$/);
  return page.url().split('/').pop();
}

export async function run(ctx) {
  const { assert } = ctx;
  const page = await ctx.newPage();
  await page.goto(`${ctx.base}/`);
  await page.waitForURL(/#\/login$/);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  const bytes = await firstLoadBytes(page);
  console.log(`  first load: ${bytes} bytes transferred`);
  assert(bytes > 0 && bytes <= 150 * 1024, `first load transferred ${bytes} bytes (budget 150 KB)`);
  await ctx.checkA11y(page, 'login');
  await ctx.screenshot(page, 'login');

  await page.getByRole('link', { name: 'Register' }).first().click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await ctx.checkA11y(page, 'register');
  await register(page, ctx, 'flow');
  await ctx.checkA11y(page, 'new video');
  await ctx.screenshot(page, 'new-video');

  // A file that claims to be a PNG but is not: the browser's checks pass it, the server refuses it.
  await page.locator('#photo-input').setInputFiles({ name: 'not-a-photo.png', mimeType: 'image/png', buffer: Buffer.from('this is not an image at all') });
  await page.getByLabel('Description').fill('A product with a broken photo');
  await page.getByRole('button', { name: 'Make my video' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'JPEG, PNG or WebP' });
  await refusal.waitFor();
  console.log(`  refused upload shows: ${(await refusal.innerText()).replace(/\s+/g, ' ')}`);
  await page.getByRole('button', { name: 'Remove photo 1' }).click();

  const id = await submitVideo(page, ctx);
  console.log(`  job ${id}`);
  await page.getByRole('heading', { name: 'Video' }).waitFor();
  await page.locator('.stages .stage').first().waitFor();
  await ctx.checkA11y(page, 'video in progress');
  // A reload mid-job: the progress comes back from the event stream.
  await page.reload();
  await page.locator('.stages .stage').first().waitFor();
  const video = page.locator('video');
  await video.waitFor({ timeout: 240000 });
  const stages = await page.locator('.stages .stage.succeeded').count();
  assert(stages === 3, `all three stages shown done (${stages})`);
  await ctx.checkA11y(page, 'finished video');
  await ctx.screenshot(page, 'video');

  // It plays and seeks in the page.
  const played = await video.evaluate(async (v) => {
    v.muted = true;
    if (v.readyState < 1) await new Promise((r, j) => { v.onloadedmetadata = r; v.onerror = () => j(new Error('video error')); });
    const canH264 = v.canPlayType('video/mp4; codecs="avc1.42E01E"');
    const canAac = v.canPlayType('audio/mp4; codecs="mp4a.40.2"');
    await v.play();
    await new Promise((r) => setTimeout(r, 700));
    const t1 = v.currentTime;
    // Chromium counts the bytes its audio decoder took (muted or not): the narration's AAC-LC
    // track is decoded, not just present.
    const audioBytes = v.webkitAudioDecodedByteCount;
    v.pause();
    const seekTo = Math.min(2, v.duration - 0.5);
    await new Promise((r) => { v.onseeked = r; v.currentTime = seekTo; });
    return { canH264, canAac, audioBytes, subtitleTracks: v.textTracks.length, t1, duration: v.duration, after: v.currentTime, seekTo };
  });
  console.log(`  player: ${JSON.stringify(played)}`);
  assert(played.duration > 3 && played.t1 > 0, `the video plays: ${JSON.stringify(played)}`);
  assert(Math.abs(played.after - played.seekTo) < 0.6, `seeking works: ${JSON.stringify(played)}`);
  assert(played.canAac !== '' && played.audioBytes > 0, `the narration's AAC track plays: ${JSON.stringify(played)}`);
  assert(played.subtitleTracks >= 1, `the player offers the subtitles: ${JSON.stringify(played)}`);

  // Download and the public link.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()]);
  const file = await download.path();
  assert(file, 'the download finished');
  await page.getByRole('button', { name: 'Copy public link' }).click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert(/\/v\/[\w-]+$/.test(copied), `the public link is copied: ${copied}`);

  await page.getByRole('link', { name: 'My videos' }).first().click();
  await page.getByRole('heading', { name: 'My videos' }).waitFor();
  await page.locator('.video-card').first().waitFor();
  await ctx.checkA11y(page, 'my videos');
  await ctx.screenshot(page, 'my-videos');

  await page.locator(`a[href="#/videos/${id}"]`).click();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.waitForURL(/#\/videos$/);
  await page.getByText('No videos yet.').waitFor();
  const gone = await page.evaluate(async (u) => (await fetch(u)).status, copied);
  assert(gone === 404, `the deleted video's public link is gone (${gone})`);
}
