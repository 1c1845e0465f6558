import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { postPayout } from '../src/domains/ledger/money-events.js';
import { parisDay } from '../src/lib/paris-dates.js';
import { usedVouchersWorld } from '../test/support/export-fixtures.js';
import { MODES, closeContexts, expectNoAxeViolations, goto, heading, launchBrowser, mainText, newPage, pathOf } from './support/browser.js';
import { startServer, type RunningServer } from './support/server.js';

/**
 * The public transparency page, reached from the footer, with figures in its tables, checked with
 * axe-core with and without JavaScript.
 */

let browser: Browser;
let server: RunningServer;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startServer();
  const world = await usedVouchersWorld(server.ctx, { used: 3 });
  await server.ctx.db.transaction().execute((trx) =>
    postPayout(
      trx,
      {
        statementNumber: 'R-E2E-000001',
        providerId: world.place.provider.organisation.id,
        grossCents: 3000,
        platformFeeCents: 90,
        fundFeeByTerritory: new Map([['33', 30]]),
        subscriptionCents: 0,
        carriedInCents: 0,
        netCents: 2880,
      },
      parisDay(server.ctx.clock.now()),
      server.ctx.clock.now(),
    ),
  );
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.each(MODES)('$name', (mode) => {
  afterEach(() => closeContexts(browser));

  test('transparence financière : les frais expliqués, les chèques utilisés par département, les fonds territoriaux', async () => {
    const page = await newPage(browser, mode);
    await goto(page, `${server.baseUrl}/`);
    await Promise.all([page.waitForNavigation(), page.getByRole('contentinfo').getByRole('link', { name: 'Transparence financière' }).click()]);
    expect(pathOf(page)).toBe('/transparence');
    expect(await heading(page)).toBe('Transparence financière');
    const text = await mainText(page);
    expect(text).toContain('4 % de frais');
    expect(await page.getByRole('table', { name: /Chèques utilisés, sommes versées aux lieux et frais/ }).count()).toBe(1);
    expect(await page.getByRole('rowheader').first().textContent()).toMatch(/\d{4}$/);
    expect(await page.getByRole('row', { name: /Gironde \(33\)/ }).first().textContent()).toContain('30 €');
    expect(await page.getByRole('table', { name: /Solde de chaque fonds territorial/ }).textContent()).toContain('0,30 €');
    await expectNoAxeViolations(page);
  });
});
