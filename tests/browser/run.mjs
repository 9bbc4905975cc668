// Runs the browser specs against a running Glimvid: `node run.mjs <base url>`.
// Started by `cargo test` (tests/e2e/browser.rs), which starts `glimvid up` first. Drives the
// system's Chromium (GLIMVID_TEST_CHROMIUM, default /usr/bin/chromium) with playwright-core.
// Every page is watched: a request to another origin, a CSP violation, an uncaught error or a
// console error fails the run. Screenshots go to GLIMVID_TEST_SCREENSHOTS when set.
// A spec that needs a server feature not merged yet names an env var in `requires`; without it
// the spec is skipped with a loud line (the lead sets it once the feature lands).
import { chromium } from 'playwright-core';
import axe from 'axe-core';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const base = process.argv[2];
if (!base) { console.error('usage: node run.mjs <base url> [spec name filter]'); process.exit(2); }
const filter = process.argv[3] || '';
const here = path.dirname(fileURLToPath(import.meta.url));
const executablePath = process.env.GLIMVID_TEST_CHROMIUM || '/usr/bin/chromium';
const shots = process.env.GLIMVID_TEST_SCREENSHOTS || '';
const origin = new URL(base).origin;

export class Failure extends Error {}
export function assert(cond, msg) { if (!cond) throw new Failure(msg); }

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });

/** A new page in its own context (no shared storage), watched for what must never happen. */
async function newPage({ width = 1280, height = 800, locale = 'en-US' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  page.problems = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['blob:', 'data:'].includes(u.protocol) && u.origin !== origin) page.problems.push(`third-party request: ${r.url()}`);
  });
  page.on('console', (m) => {
    const text = m.text();
    if (/Content Security Policy/i.test(text)) page.problems.push(`CSP violation: ${text}`);
    // Answers the app expects and shows (4xx problem documents) are logged by Chromium as
    // failed resources; those are not the app's errors.
    else if (m.type() === 'error' && !/Failed to load resource/.test(text)) page.problems.push(`console error: ${text}`);
  });
  page.on('pageerror', (e) => page.problems.push(`uncaught: ${e.message}`));
  page.setDefaultTimeout(20000);
  return page;
}

/** axe-core on the current screen: no serious or critical violation. */
async function checkA11y(page, screen) {
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const text = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`).join('\n  ');
  assert(bad.length === 0, `axe on ${screen}:\n  ${text}`);
  console.log(`  axe: ${screen}: no serious or critical violations (${result.violations.length} minor)`);
}

async function screenshot(page, name) {
  if (shots) await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

/** Fails when the page scrolls sideways (the layout must fit its width, e.g. 375 px). */
async function fitsWidth(page, screen) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert(scroll <= width, `${screen}: content is ${scroll}px wide in a ${width}px window`);
}

const ctx = { base, origin, newPage, checkA11y, screenshot, fitsWidth, assert, fixtures: process.env.GLIMVID_FIXTURES || path.join(here, '../fixtures') };

let failed = 0;
let ran = 0;
const specs = (await readdir(path.join(here, 'specs'))).filter((f) => f.endsWith('.mjs') && f.includes(filter)).sort();
for (const file of specs) {
  const spec = await import(path.join(here, 'specs', file));
  const missing = (spec.requires || []).filter((v) => process.env[v] !== '1');
  if (missing.length) {
    console.log(`\n!!! SKIPPED ${file}: needs ${missing.join(', ')}=1 (${spec.why || 'a server feature not enabled'})`);
    continue;
  }
  console.log(`\n=== ${file}: ${spec.title}`);
  const started = Date.now();
  const pages = [];
  const tracked = { ...ctx, newPage: async (o) => { const p = await newPage(o); pages.push(p); return p; } };
  try {
    await spec.run(tracked);
    const problems = pages.flatMap((p) => p.problems);
    assert(problems.length === 0, `problems seen on the pages:\n  ${problems.join('\n  ')}`);
    console.log(`--- ok ${file} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    ran++;
  } catch (e) {
    failed++;
    console.log(`--- FAILED ${file}: ${e.stack || e}`);
    for (const [i, p] of pages.entries()) {
      try { await p.screenshot({ path: path.join(shots || '/tmp', `failed-${file}-${i}.png`) }); } catch { /* closed */ }
    }
  } finally {
    for (const p of pages) await p.context().close().catch(() => {});
  }
}
await browser.close();
console.log(`\n${ran} spec(s) passed, ${failed} failed`);
if (ran === 0 && failed === 0) { console.log('no spec ran'); process.exit(1); }
process.exit(failed ? 1 : 0);
