// Opens a dynameta HTML report in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core) and checks it as a person would use it. Run by the integration
// test crates/dynameta/tests/it/catalog.rs:
//
//   node scripts/report_browser_check.cjs REPORT.html OUT_DIR TABLE SEARCH
//
//   node scripts/report_browser_check.cjs --links REPORT.html OUT_DIR PII_TABLE NAME...
//
//   node scripts/report_browser_check.cjs --dq REPORT.html OUT_DIR TABLE FAILING_CASE
//
//   node scripts/report_browser_check.cjs --groups REPORT.html OUT_DIR SEARCH
//
// The `--groups` form reads the report of an estate catalog (tables under account,
// then region headings): it counts the account and region groups and the rows of each,
// sorts by items and checks every row stayed in its group, sorted there, and searches
// SEARCH and counts the rows and groups left showing.
//
// The first form also counts the opened TABLE's lineage ends and usage bars and whether
// the overview shows the lineage and usage line (`lineageOverview`, `lineageEnds`,
// `usageBars`), for the test to judge.
//
// The second form checks links and the phone view: every NAME (table names with `%`)
// opens from its link in the list and from its URL; a fragment that does not decode
// (`#%E0%A4%A`) leaves search and sort working; at 390x844 every PII tag of PII_TABLE's
// column table is on screen without scrolling sideways.
//
// PLAYWRIGHT_CORE names the playwright-core package directory (scripts/install-test-deps
// installs it into .tools/browser). Prints one JSON line with what it measured; exits 1
// with the reasons when a check fails. Screenshots go to OUT_DIR.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');

const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

async function launch() {
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'dynameta-chromium-'));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  return { context, userData };
}

// Whether the rows of the list are sorted by items, descending, after two clicks.
async function sortsByItems(page) {
  const itemsHeader = page.locator('#tables th', { hasText: 'Items' });
  await itemsHeader.click();
  await itemsHeader.click();
  const items = await page.locator('#tables tbody tr td:nth-child(2)').evaluateAll(
    (tds) => tds.map((td) => parseFloat(td.dataset.v)));
  for (let i = 1; i < items.length; i++) {
    if (items[i] > items[i - 1]) return false;
  }
  return true;
}

async function links(report, outDir, piiTable, names) {
  const problems = [];
  const { context, userData } = await launch();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const url = 'file://' + path.resolve(report);

    // A fragment that is not valid percent-encoding: the list shows, search and sort work.
    await page.goto(url + '#%E0%A4%A', { waitUntil: 'load' });
    const rows = await page.locator('#tables tbody tr').count();
    if (!(await page.locator('#overview').isVisible())) problems.push('bad fragment: the list is not shown');
    await page.fill('#search', names[0].toLowerCase());
    const found = await page.locator('#tables tbody tr:visible').count();
    if (found === 0 || found >= rows) problems.push(`bad fragment: search for "${names[0]}" left ${found} of ${rows} rows`);
    await page.fill('#search', '');
    if (!(await sortsByItems(page))) problems.push('bad fragment: sorting by items does not sort');

    // Each name with `%`: from its link, and from its URL.
    const opened = [];
    for (const name of names) {
      await page.goto(url, { waitUntil: 'load' });
      const link = page.locator('#tables tbody tr a').filter({ hasText: name }).first();
      const href = await link.getAttribute('href');
      await link.click();
      const heading = await page.locator('article.table:visible h2').first().textContent().catch(() => null);
      if ((heading || '').trim() !== name) problems.push(`link ${href} opened "${heading}", wanted "${name}"`);
      const direct = await context.newPage();
      direct.on('pageerror', (e) => errors.push(String(e)));
      await direct.goto(url + href, { waitUntil: 'load' });
      const again = await direct.locator('article.table:visible h2').first().textContent().catch(() => null);
      if ((again || '').trim() !== name) problems.push(`URL ${href} opened "${again}", wanted "${name}"`);
      await direct.close();
      opened.push(href);
    }

    // A phone: the PII tags of the column table are on screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url, { waitUntil: 'load' });
    await page.locator('#tables tbody tr a').filter({ hasText: piiTable }).first().click();
    // count() does not wait: the table opens from a hashchange handler, so wait for its
    // heading and then for a first badge (bounded) before counting; without this the
    // count raced the handler on a loaded CI machine and read 0.
    await page.locator('article.table:visible h2').filter({ hasText: piiTable }).first()
      .waitFor({ state: 'visible', timeout: 10000 }).catch(() => {});
    const badges = page.locator('article.table:visible h3:has-text("Columns") + div table tbody td .badge');
    await badges.first().waitFor({ state: 'visible', timeout: 10000 }).catch(() => {});
    const tags = await badges.count();
    if (tags === 0) problems.push(`${piiTable} shows no PII tag in its column table`);
    let offScreen = 0;
    for (let i = 0; i < tags; i++) {
      const b = badges.nth(i);
      const box = await b.boundingBox();
      if (!(await b.isVisible()) || !box || box.x < 0 || box.x + box.width > 390) offScreen++;
    }
    if (offScreen) problems.push(`on a 390 px screen ${offScreen} of ${tags} PII tags are off screen`);
    await page.screenshot({ path: path.join(outDir, 'report-phone-pii.png') });

    if (errors.length) problems.push('page errors: ' + errors.join(' | '));
    console.log(JSON.stringify({ rows, found, opened, tags, offScreen, problems }));
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    await context.close();
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

// `--dq REPORT.html OUT_DIR TABLE FAILING`: the data-quality section of the overview
// shows, failures first (its first row is the case FAILING, Failed); its link opens
// TABLE, whose page has a "Data quality" table with that case; on a phone the page is
// no wider than the screen.
async function dq(report, outDir, table, failing) {
  const problems = [];
  const { context, userData } = await launch();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const url = 'file://' + path.resolve(report);
    await page.goto(url, { waitUntil: 'load' });
    const section = page.locator('#data-quality');
    if (!(await section.isVisible())) problems.push('no data-quality section in the overview');
    const rows = await section.locator('tbody tr').count();
    const first = (await section.locator('tbody tr').first().textContent().catch(() => '')) || '';
    if (!first.includes('Failed') || !first.includes(failing)) problems.push(`first data-quality row is not the failing ${failing}: "${first.trim()}"`);
    await page.screenshot({ path: path.join(outDir, 'report-dq-list.png'), fullPage: true });

    await section.locator('tbody tr a', { hasText: new RegExp('^' + table + '$') }).first().click();
    const article = page.locator('article.table:visible');
    await article.first().waitFor({ state: 'visible', timeout: 10000 }).catch(() => {});
    const heading = ((await article.locator('h2').first().textContent().catch(() => '')) || '').trim();
    if (heading !== table) problems.push(`the data-quality link opened "${heading}", wanted "${table}"`);
    const cases = article.locator('h3:has-text("Data quality") ~ div table.dq tbody tr');
    const tableRows = await cases.count();
    if (tableRows === 0) problems.push(`${table} shows no data-quality results on its page`);
    const tableText = (await cases.allTextContents()).join(' ');
    if (!tableText.includes(failing)) problems.push(`${table}'s page does not list ${failing}`);
    await page.screenshot({ path: path.join(outDir, 'report-dq-table.png'), fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 1) problems.push(`on a 390 px screen the page is ${overflow} px too wide`);

    if (errors.length) problems.push('page errors: ' + errors.join(' | '));
    console.log(JSON.stringify({ rows, tableRows, overflow, problems }));
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    await context.close();
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

// `--groups REPORT.html OUT_DIR SEARCH`: see the head of the file.
async function groups(report, outDir, search) {
  const problems = [];
  const { context, userData } = await launch();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto('file://' + path.resolve(report), { waitUntil: 'load' });
    const layout = () => page.evaluate(() => {
      const accounts = Array.from(document.querySelectorAll('#tables tbody.account'))
        .filter((a) => !a.hidden).map((a) => a.dataset.account);
      const regions = Array.from(document.querySelectorAll('#tables tbody.region'))
        .filter((g) => !g.hidden)
        .map((g) => ({
          account: g.dataset.account,
          region: g.dataset.region,
          rows: Array.from(g.querySelectorAll('tr.row')).filter((r) => !r.hidden)
            .map((r) => ({ name: r.children[0].dataset.v, items: parseFloat(r.children[1].dataset.v) })),
        }));
      return { accounts, regions };
    });
    const before = await layout();
    const cards = {
      accounts: ((await page.locator('#accounts b').textContent().catch(() => '')) || '').trim(),
      regions: ((await page.locator('#regions b').textContent().catch(() => '')) || '').trim(),
    };
    const itemsHeader = page.locator('#tables th', { hasText: 'Items' });
    await itemsHeader.click();
    await itemsHeader.click();
    const sorted = await layout();
    const names = (l) => l.regions.map((g) => g.account + '/' + g.region + ':' + g.rows.map((r) => r.name).sort().join(','));
    if (JSON.stringify(names(before)) !== JSON.stringify(names(sorted))) problems.push('sorting moved rows between groups');
    for (const g of sorted.regions) {
      for (let i = 1; i < g.rows.length; i++) {
        if (g.rows[i].items > g.rows[i - 1].items) problems.push(`${g.account}/${g.region} not sorted by items`);
      }
    }
    await page.screenshot({ path: path.join(outDir, 'report-groups.png'), fullPage: true });
    await page.fill('#search', search);
    const found = await layout();
    if (errors.length) problems.push('page errors: ' + errors.join(' | '));
    console.log(JSON.stringify({
      accounts: before.accounts.length,
      regions: before.regions.length,
      rows: before.regions.reduce((n, g) => n + g.rows.length, 0),
      perRegion: before.regions.map((g) => `${g.account}/${g.region}=${g.rows.length}`),
      cards,
      found: {
        accounts: found.accounts.length,
        regions: found.regions.length,
        rows: found.regions.reduce((n, g) => n + g.rows.length, 0),
      },
      problems,
    }));
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    await context.close();
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--groups') {
  const [report, outDir, search] = process.argv.slice(3);
  if (!report || !outDir || !search) {
    console.error('usage: report_browser_check.cjs --groups REPORT.html OUT_DIR SEARCH');
    process.exit(2);
  }
  groups(report, outDir, search)
    .catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
} else if (process.argv[2] === '--dq') {
  const [report, outDir, table, failing] = process.argv.slice(3);
  if (!report || !outDir || !table || !failing) {
    console.error('usage: report_browser_check.cjs --dq REPORT.html OUT_DIR TABLE FAILING_CASE');
    process.exit(2);
  }
  dq(report, outDir, table, failing)
    .catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
} else if (process.argv[2] === '--links') {
  const [report, outDir, piiTable, ...names] = process.argv.slice(3);
  if (!report || !outDir || !piiTable || !names.length) {
    console.error('usage: report_browser_check.cjs --links REPORT.html OUT_DIR PII_TABLE NAME...');
    process.exit(2);
  }
  links(report, outDir, piiTable, names)
    .catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
} else {
  main();
}

function main() {
const [report, outDir, table, search] = process.argv.slice(2);
if (!report || !outDir || !table || !search) {
  console.error('usage: report_browser_check.cjs REPORT.html OUT_DIR TABLE SEARCH');
  process.exit(2);
}
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
    // The lineage and usage overview line (present when the catalog holds either).
    const lineageOverview = await page.locator('#lineage-usage').isVisible();
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
    // count() does not wait for the hashchange handler to show the table.
    await article.first().waitFor({ state: 'visible', timeout: 10000 }).catch(() => {});
    if ((await article.count()) !== 1) problems.push('opening a table did not show exactly one table');
    const heading = (await article.locator('h2').first().textContent()) || '';
    if (heading.trim() !== table) problems.push(`opened "${heading}", wanted "${table}"`);
    const charts = await article.locator('svg').count();
    const columns = await article.locator('h3:has-text("Columns") + div table tbody tr').count();
    if (columns === 0) problems.push('the table shows no columns');
    if (await page.locator('#overview').isVisible()) problems.push('the list stays visible with a table open');
    // Its lineage view (the table, an arrow, its downstream ends) and usage chart (one
    // bar per day), when the catalog holds them: counted, the test judges.
    const lineageEnds = await article.locator('div.lineage ul.ends li').count();
    const usageBars = await article.locator('svg.usage-chart rect').count();
    for (const el of [article.locator('div.lineage'), article.locator('svg.usage-chart')]) {
      if ((await el.count()) && !(await el.first().isVisible())) problems.push('a lineage or usage element is not visible');
    }
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
    console.log(JSON.stringify({ openMs, rows, visible, charts, columns, overflow, lineageOverview, lineageEnds, usageBars, problems }));
    process.exitCode = problems.length ? 1 : 0;
  } finally {
    await context.close();
    fs.rmSync(userData, { recursive: true, force: true });
  }
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
}
