// Opens a dynameta HTML report in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core) and checks it as a person would use it. Run by the integration
// test crates/dynameta/tests/it/catalog.rs:
//
//   node scripts/report_browser_check.cjs REPORT.html OUT_DIR TABLE SEARCH
//
// PLAYWRIGHT_CORE names the playwright-core package directory (scripts/install-test-deps
// installs it into .tools/browser). Prints one JSON line with what it measured; exits 1
// with the reasons when a check fails. Screenshots go to OUT_DIR.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');

const [report, outDir, table, search] = process.argv.slice(2);
if (!report || !outDir || !table || !search) {
  console.error('usage: report_browser_check.cjs REPORT.html OUT_DIR TABLE SEARCH');
  process.exit(2);
}
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

(async () => {
  const problems = [];
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'dynameta-chromium-'));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await context.newPage();
    const errors = [];
    const requests = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    const url = 'file://' + path.resolve(report);
    const started = Date.now();
    await page.goto(url, { waitUntil: 'load' });
    const openMs = Date.now() - started;
    const rows = await page.locator('#tables tbody tr').count();
    await page.screenshot({ path: path.join(outDir, 'report-list.png') });

    // Search: every visible row matches, the count says how many.
    await page.fill('#search', search);
    const visible = await page.locator('#tables tbody tr:visible').count();
    const visibleTexts = await page.locator('#tables tbody tr:visible').evaluateAll(
      (trs) => trs.map((tr) => tr.dataset.search));
    const shown = await page.textContent('#shown');
    if (visible === 0 || visible >= rows) problems.push(`search "${search}" left ${visible} of ${rows} rows`);
    if (visibleTexts.some((t) => !t.includes(search.toLowerCase()))) problems.push('search shows rows that do not match');
    if (String(visible) !== shown.trim()) problems.push(`count says ${shown}, ${visible} rows shown`);

    // Sort by items: numbers descending after two clicks.
    await page.fill('#search', '');
    const itemsHeader = page.locator('#tables th', { hasText: 'Items' });
    await itemsHeader.click();
    await itemsHeader.click();
    const items = await page.locator('#tables tbody tr td:nth-child(2)').evaluateAll(
      (tds) => tds.slice(0, 20).map((td) => parseFloat(td.dataset.v)));
    for (let i = 1; i < items.length; i++) {
      if (items[i] > items[i - 1]) { problems.push(`not sorted by items: ${items.join(',')}`); break; }
    }

    // Open a table from the list.
    await page.fill('#search', table);
    await page.locator('#tables tbody tr:visible a', { hasText: new RegExp('^' + table + '$') }).first().click();
    const article = page.locator('article.table:visible');
    if ((await article.count()) !== 1) problems.push('opening a table did not show exactly one table');
    const heading = (await article.locator('h2').first().textContent()) || '';
    if (heading.trim() !== table) problems.push(`opened "${heading}", wanted "${table}"`);
    const charts = await article.locator('svg').count();
    const columns = await article.locator('h3:has-text("Columns") + div table tbody tr').count();
    if (columns === 0) problems.push('the table shows no columns');
    if (await page.locator('#overview').isVisible()) problems.push('the list stays visible with a table open');
    await page.screenshot({ path: path.join(outDir, 'report-table.png'), fullPage: true });

    // A phone: nothing wider than the screen but the scrolling tables.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 1) problems.push(`on a 390 px screen the page is ${overflow} px too wide`);
    await page.screenshot({ path: path.join(outDir, 'report-phone.png') });

    // Back to the list.
    await page.locator('article.table:visible a.back').click();
    if (!(await page.locator('#overview').isVisible())) problems.push('"all tables" did not bring the list back');

    if (errors.length) problems.push('console errors: ' + errors.join(' | '));
    if (requests.length) problems.push('requests outside the file: ' + requests.join(', '));
    console.log(JSON.stringify({ openMs, rows, visible, charts, columns, overflow, problems }));
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    await context.close();
    fs.rmSync(userData, { recursive: true, force: true });
  }
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
