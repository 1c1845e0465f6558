import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium: the suite never downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Every journey runs in both modes: the pages must work without JavaScript. */
export const MODES = [
  { name: 'avec JavaScript', key: 'js', javaScriptEnabled: true },
  { name: 'sans JavaScript', key: 'nojs', javaScriptEnabled: false },
] as const;
export type Mode = (typeof MODES)[number];

/** Fails (never skips) when Chromium is missing: a browser suite that runs nothing proves nothing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium est introuvable à ${CHROMIUM} : la suite navigateur ne peut pas tourner. ` +
        'Installez le paquet Debian « chromium » (apt-get install chromium) ; la suite ne télécharge jamais de navigateur.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Contexts opened with JavaScript disabled (axe runs differently there, see below). */
const WITHOUT_SCRIPTS = new WeakSet<BrowserContext>();

/** A fresh context (cookies and all) in the given mode, French like the site. */
export async function newPage(browser: Browser, mode: Mode): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: mode.javaScriptEnabled, locale: 'fr-FR' });
  if (!mode.javaScriptEnabled) WITHOUT_SCRIPTS.add(context);
  return context.newPage();
}

/** Closes every context of the browser opened by newPage (between tests). */
export async function closeContexts(browser: Browser): Promise<void> {
  await Promise.all(browser.contexts().map((context: BrowserContext) => context.close()));
}

/**
 * Clicks a submit button and waits for the page that results (after the 303 of a
 * Post/Redirect/Get, the page redirected to). Returns its response, for the status.
 */
export async function submit(page: Page, buttonName: string): Promise<Response> {
  const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: buttonName, exact: true }).click()]);
  if (!response) throw new Error(`clicking « ${buttonName} » loaded no page`);
  return response;
}

export async function goto(page: Page, url: string): Promise<Response> {
  const response = await page.goto(url);
  if (!response) throw new Error(`no response for ${url}`);
  return response;
}

export function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}

export async function mainText(page: Page): Promise<string> {
  return page.locator('main').innerText();
}

/** The class of the focused element, or its tag name when it has none. */
export async function focusedElement(page: Page): Promise<string> {
  return page.evaluate(() => {
    const focused = (globalThis as unknown as { document: { activeElement: { className: string; tagName: string } | null } }).document.activeElement;
    return focused ? focused.className || focused.tagName : '';
  });
}

export async function heading(page: Page): Promise<string> {
  return (await page.getByRole('heading', { level: 1 }).innerText()).trim();
}

const require = createRequire(import.meta.url);
const AXE_TIMEOUT_MS = 30_000;
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page and returns its violations. The script is evaluated through the
 * DevTools protocol, which the page's Content-Security-Policy (script-src 'self') does not block.
 */
async function runAxe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const run = page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const results = await axe.run();
    return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.map(String).join(' ')) }));
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`axe-core n’a pas fini d’analyser ${page.url()} en ${AXE_TIMEOUT_MS / 1000} s`)), AXE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Axe needs timers, which never fire in a page whose scripts are disabled. For a page seen
 * without JavaScript, axe therefore analyses the very same document (its HTML as the browser
 * holds it, nothing changed by scripts) at the same address, with the real stylesheet, in a
 * twin page where scripting is allowed; the site's own script is kept out so that nothing in
 * the document changes.
 */
async function runAxeOnNoScriptPage(page: Page): Promise<AxeViolation[]> {
  const browser = page.context().browser();
  if (!browser) throw new Error('page without browser');
  const url = page.url();
  const body = await page.content();
  const twin = await browser.newContext({ javaScriptEnabled: true, locale: 'fr-FR' });
  try {
    const twinPage = await twin.newPage();
    await twinPage.route((address) => address.href === url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body }));
    await twinPage.route('**/assets/*.js', (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: '' }));
    await twinPage.goto(url);
    return await runAxe(twinPage);
  } finally {
    await twin.close();
  }
}

/** Asserts that axe-core finds no violation at all in the page as it is now. */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  const violations = WITHOUT_SCRIPTS.has(page.context()) ? await runAxeOnNoScriptPage(page) : await runAxe(page);
  const found = violations.flatMap((v) => v.targets.map((target) => `${v.id} (${v.impact ?? '?'}) ${target}`));
  const details = violations.map((v) => `- ${v.id} (${v.impact ?? '?'}): ${v.help}\n    ${v.targets.join('\n    ')}`).join('\n');
  expect(found, `axe-core a trouvé ${violations.length} violation(s) sur ${page.url()} :\n${details}`).toEqual([]);
}
