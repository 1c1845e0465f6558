import type { Locator, Page, Response } from 'playwright-core';
import { expect } from 'vitest';
import { expectNoAxeViolations, goto, mainText, submit } from './browser.js';

/**
 * Helpers of the longer journeys: each one that lands on a page checks it with axe-core, so that
 * no page of a journey escapes the check; fields are reached by their label, legend or role.
 */

/** Expects the status of the page now shown; when it differs, the message holds the page's text. */
async function expectStatus(page: Page, response: Response, status: number, what: string): Promise<void> {
  if (response.status() === status) return;
  const text = await mainText(page).catch(() => '(no main element)');
  expect(response.status(), `${what}, now at ${page.url()}, shows:\n${text}`).toBe(status);
}

/** Opens an address, expects the given status, and checks the page with axe-core. */
export async function visit(page: Page, url: string, status = 200): Promise<Response> {
  const response = await goto(page, url);
  await expectStatus(page, response, status, `GET ${url}`);
  await expectNoAxeViolations(page);
  return response;
}

/** Clicks a submit button, expects the status of the page that results, and checks it with axe-core. */
export async function send(page: Page, buttonName: string, status = 200): Promise<Response> {
  const response = await submit(page, buttonName);
  await expectStatus(page, response, status, `« ${buttonName} »`);
  await expectNoAxeViolations(page);
  return response;
}

/**
 * Follows a link (by its accessible name, within `scope`, by default the whole page), and checks
 * the page it leads to with axe-core.
 */
export async function follow(page: Page, linkName: string | RegExp, scope: Page | Locator = page): Promise<Response> {
  const link = scope.getByRole('link', { name: linkName, exact: typeof linkName === 'string' });
  const [response] = await Promise.all([page.waitForNavigation(), link.click()]);
  if (!response) throw new Error(`the link « ${String(linkName)} » loaded no page`);
  await expectStatus(page, response, 200, `link « ${String(linkName)} »`);
  await expectNoAxeViolations(page);
  return response;
}

/** Fills text fields by their exact label. */
export async function fill(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value);
}

/** Checks the radio button `option` of the question whose legend is `legend`. */
export async function choose(page: Page, legend: string, option: string): Promise<void> {
  await page.getByRole('group', { name: legend, exact: true }).getByRole('radio', { name: option, exact: true }).check();
}

/** Checks the box `option` of the group whose legend is `legend`. */
export async function tick(page: Page, legend: string, option: string): Promise<void> {
  await page.getByRole('group', { name: legend, exact: true }).getByRole('checkbox', { name: option, exact: true }).check();
}

/** The text of the polite status message of the page (the notice after a Post/Redirect/Get). */
export async function statusText(page: Page): Promise<string> {
  return page.getByRole('status').first().innerText();
}

/** Text with its runs of white space (non-breaking spaces included) made single spaces. */
export function squash(text: string): string {
  return text.replace(/\s+/gu, ' ');
}

/**
 * A tiny but well-formed one-page PDF, built in memory (cross-reference offsets computed), as a
 * file for setInputFiles.
 */
export function pdfFile(name: string): { name: string; mimeType: string; buffer: Buffer } {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return { name, mimeType: 'application/pdf', buffer: Buffer.from(body, 'latin1') };
}

/** The Luhn key that completes `digits` (the last digit of SIREN and SIRET numbers). */
export function luhnKey(digits: string): string {
  let sum = 0;
  // The key will be the rightmost digit: counting from it, the digits in odd places are doubled.
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

/**
 * A valid SIRET: a SIREN (8 digits and its Luhn key) then a NIC (4 digits and the key that makes
 * the 14 digits pass Luhn too). `siren8` must not be La Poste's (35600000).
 */
export function validSiret(siren8: string, nic4 = '0001'): string {
  if (!/^\d{8}$/.test(siren8) || !/^\d{4}$/.test(nic4)) throw new Error('validSiret(8 digits, 4 digits)');
  const siren = siren8 + luhnKey(siren8);
  const start = siren + nic4;
  return start + luhnKey(start);
}
