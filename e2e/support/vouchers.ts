import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { goto, submit } from './browser.js';
import { follow, send, visit } from './forms.js';

/** Helpers of the vouchers' journey: signing in, the main navigation, a downloaded document, what the database holds. */

/**
 * Signs in from /connexion and lands on /espace, each page checked with axe-core; with
 * `checked: true` (the same two pages already checked in this mode, by the same person) they are
 * not checked again, to keep the journey short.
 */
export async function signIn(page: Page, baseUrl: string, email: string, password: string, options: { checked?: boolean } = {}): Promise<void> {
  if (options.checked) await goto(page, `${baseUrl}/connexion`);
  else await visit(page, `${baseUrl}/connexion`);
  await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(password);
  if (options.checked) expect((await submit(page, 'Se connecter')).status()).toBe(200);
  else await send(page, 'Se connecter');
  expect(new URL(page.url()).pathname).toBe('/espace');
}

/** Follows a link of the main navigation (and checks the page with axe-core). */
export function navigate(page: Page, name: string) {
  return follow(page, name, page.getByRole('navigation', { name: 'Navigation principale' }));
}

/**
 * Clicks a link that downloads a file (as a person does: the browser saves it) and saves it into
 * `dir`; returns where, and the name the server suggested.
 */
export async function download(page: Page, linkName: string, dir: string): Promise<{ file: string; name: string }> {
  const [saved] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: linkName, exact: true }).click()]);
  const failure = await saved.failure();
  if (failure !== null) throw new Error(`the download of « ${linkName} » failed: ${failure}`);
  const name = saved.suggestedFilename();
  const file = path.join(dir, `${Date.now()}-${name}`);
  await saved.saveAs(file);
  return { file, name };
}

/** The redemptions recorded at a place, and how many vouchers are redeemed there. */
export async function redemptionsAt(ctx: AppContext, placeId: string): Promise<{ redemptions: number; vouchers: number }> {
  const redemptions = await ctx.db.selectFrom('redemptions').select(['id']).where('place_id', '=', placeId).execute();
  const ids = redemptions.map((r) => r.id);
  const vouchers = ids.length === 0 ? [] : await ctx.db.selectFrom('vouchers').select(['id']).where('redemption_id', 'in', ids).execute();
  return { redemptions: redemptions.length, vouchers: vouchers.length };
}
