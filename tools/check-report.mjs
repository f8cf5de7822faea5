// make report-check REPORT=DIR: open DIR/report.html in headless Chromium
// at 390 and 1400 px wide and check what the page promises: no script,
// no request outside the file itself, no horizontal scrolling; save a
// full-page screenshot of each width next to the report (DIR/shot-W.png)
// to look at.  Needs Debian's chromium and playwright-core (the make
// target installs it into a cache outside the repository).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { statSync } from 'node:fs';

// playwright-core from PW_DIR (where make report-check installed it).
const require = createRequire(resolve(process.env.PW_DIR || '.') + '/');
const { chromium } = require('playwright-core');
const dir = resolve(process.argv[2] || 'var/report');
const page_url = 'file://' + dir + '/report.html';
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox'],
});
let bad = 0;
const size = statSync(dir + '/report.html').size;
console.log(`${page_url}: ${(size / 1024).toFixed(0)} KiB`);
for (const width of [390, 1400]) {
	const ctx = await browser.newContext({ viewport: { width, height: 900 },
					       javaScriptEnabled: true });
	const page = await ctx.newPage();
	const requests = [];
	page.on('request', (r) => { if (r.url() !== page_url) requests.push(r.url()); });
	await page.goto(page_url, { waitUntil: 'load' });
	const m = await page.evaluate(() => ({
		scripts: document.scripts.length,
		scroll: document.documentElement.scrollWidth,
		inner: window.innerWidth,
		svgs: document.querySelectorAll('svg').length,
		height: document.documentElement.scrollHeight,
	}));
	const ok = m.scripts === 0 && requests.length === 0 &&
		m.scroll <= m.inner;
	bad += !ok;
	console.log(`${width} px: ${ok ? 'ok' : 'FAILED'}: ${m.svgs} charts, ` +
		`page ${m.scroll} px wide in a ${m.inner} px window, ` +
		`${m.height} px tall, ${m.scripts} scripts, ` +
		`${requests.length} requests${requests.length ? ': ' + requests.join(' ') : ''}`);
	await page.screenshot({ path: `${dir}/shot-${width}.png`, fullPage: true });
	await ctx.close();
}
await browser.close();
process.exit(bad ? 1 : 0);
