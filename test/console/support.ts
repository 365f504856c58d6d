// The harness the console end-to-end tests share: whether Chromium and the built console are there, an activated staff user to sign in with, Bulwark listening on a port, the browser, tabs signed in by role, and screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { StaffRole } from '../../src/access/permissions.ts';
import { totpAt } from '../../src/identity/totp.ts';
import { CONSOLE_DIST_DIR } from '../../src/web/static.ts';
import { staffSession, type TestBulwark } from '../helpers.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots go to docs/screenshots when BULWARK_SCREENSHOTS=1 (for the README), else to a temporary folder. */
export const SHOTS = process.env.BULWARK_SCREENSHOTS
  ? resolve('docs/screenshots')
  : join(tmpdir(), 'bulwark-console-screenshots');

/** Why the browser tests cannot run here (warned under `what`), or null when they can. */
export function consoleSkipReason(what: string): string | null {
  const reason = !existsSync(CHROMIUM)
    ? `${CHROMIUM} is missing (apt-get install -y chromium)`
    : !existsSync(join(CONSOLE_DIST_DIR, 'index.html'))
      ? 'web/dist is not built (npm run build)'
      : null;
  if (reason) console.warn(`[skip] ${what}: ${reason}`);
  return reason;
}

export interface ActivatedStaff {
  staffId: string;
  totpSecret: string;
  activatedAtMs: number;
}

/** A staff user through the real activation: password, then the authenticator confirmed with a code. */
export async function activateStaff(
  bw: TestBulwark,
  user: { email: string; password: string; displayName: string; role: StaffRole },
  createdBy: string,
): Promise<ActivatedStaff> {
  const created = await bw.dbHandle.db
    .transaction()
    .execute((tx) =>
      bw.staff.createInTx(
        tx,
        { email: user.email, displayName: user.displayName, role: user.role },
        { type: 'system', id: createdBy },
        {},
      ),
    );
  const started = await bw.staff.startActivation(created.activationToken, user.password, {});
  const activatedAtMs = Date.now();
  await bw.staff.confirmActivation(started.enrolmentToken, totpAt(started.totpSecret, activatedAtMs), {});
  return { staffId: created.staffId, totpSecret: started.totpSecret, activatedAtMs };
}

/** The code to sign in with: the activation spent the current step's code; the next step's is inside the accepted window. */
export function nextCode(staff: ActivatedStaff): string {
  return totpAt(staff.totpSecret, staff.activatedAtMs + 30_000);
}

const VIEWPORT = { viewport: { width: 1366, height: 860 }, locale: 'en-US' };

/** Bulwark listening on a free port and Chromium with one English tab; the screenshot folder exists. */
export async function openConsole(bw: TestBulwark): Promise<{ base: string; browser: Browser; page: Page }> {
  mkdirSync(SHOTS, { recursive: true });
  await bw.app.listen({ port: 0, host: '127.0.0.1' });
  const address = bw.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const base = `http://127.0.0.1:${address.port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  const context = await browser.newContext(VIEWPORT);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { base, browser, page };
}

/** A tab signed in as a new staff user of the role, restored from the tab's refresh token as after a reload. */
export async function openAs(
  bw: TestBulwark,
  browser: Browser,
  role: StaffRole,
): Promise<{ context: BrowserContext; tab: Page }> {
  const staff = await staffSession(bw, role);
  const session = await bw.dbHandle.db
    .transaction()
    .execute((tx) => bw.sessions.start(tx, { type: 'staff', id: staff.id, role, amr: ['pwd', 'otp'] }, {}));
  const context = await browser.newContext(VIEWPORT);
  const key = JSON.stringify('bulwark.console.refreshToken');
  await context.addInitScript({
    content: `if (!sessionStorage.getItem(${key})) sessionStorage.setItem(${key}, ${JSON.stringify(session.pair.refreshToken)});`,
  });
  const tab = await context.newPage();
  tab.setDefaultTimeout(15_000);
  return { context, tab };
}

/** A screenshot of the visible part of the page into the screenshot folder. */
export function shot(page: Page, name: string) {
  return page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}
