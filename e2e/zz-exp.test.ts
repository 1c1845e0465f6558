import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { test } from 'vitest';
import { startServer } from './support/server.js';
const require = createRequire(import.meta.url);
test('exp', async () => {
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'] });
  for (const js of [true, false]) {
    const context = await browser.newContext({ javaScriptEnabled: js });
    const page = await context.newPage();
    page.on('console', (m) => console.log('console', m.text()));
    await page.goto(server.baseUrl + '/connexion');
    try { await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') }); console.log(js, 'addScriptTag ok', await page.evaluate('typeof axe')); } catch (e) { console.log(js, 'addScriptTag failed', String(e).slice(0, 200)); }
    try { await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')); console.log(js, 'evaluate ok', await page.evaluate('typeof axe')); } catch (e) { console.log(js, 'evaluate failed', String(e).slice(0, 200)); }
    const cdp = await context.newCDPSession(page);
    if (!js) await cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
    try { const r = await page.evaluate('axe.run().then(r => r.violations.map(v => v.id))'); console.log(js, 'run', r); } catch (e) { console.log(js, 'run failed', String(e).slice(0,200)); }
    if (!js) await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    console.log(js, 'passnum.js ran?', await page.evaluate('document.activeElement && document.activeElement.tagName'));
    await page.goto(server.baseUrl + '/connexion');
    await page.getByLabel('Adresse e-mail').fill('x@y.fr'); await page.getByLabel('Mot de passe').fill('nope');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', {name: 'Se connecter', exact: true}).click()]);
    console.log(js, 'after fail focus', await page.evaluate('document.activeElement && document.activeElement.className'));
    console.log(js, 'scripts', await page.evaluate('typeof axe'));
    await context.close();
  }
  await browser.close();
  await server.close();
}, 60000);
