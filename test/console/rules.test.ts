// The rules pages end to end in Chromium: an analyst signs in, sees the starter rules acting, writes a rule whose type error is marked at its line and column, fixes it, tries it against an event until it matches, saves it as a draft, moves it to shadow and asks for its activation; a compliance officer approves the request in the Approvals inbox and the rule shows as acting; the editor speaks Chinese too.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../src/access/permissions.ts';
import { STARTER_RULES } from '../../src/risk/rules/starter.ts';
import { Api, at } from '../api/client.ts';
import { startBulwark, type TestBulwark } from '../helpers.ts';
import {
  type ActivatedStaff,
  activateStaff,
  consoleSkipReason,
  nextCode,
  openConsole,
  openAs as openTabAs,
  shot as shotOf,
} from './support.ts';

const skipReason = consoleSkipReason('console rules end-to-end tests');

const ANALYST = { email: 'rules.analyst@console.test', password: 'amber-orchard-compass-451' };
const RULE_ID = 'proxy_large_transfer';
/** Line 2 compares the amount (an int) with a string: the checker points at the '>' (column 13). */
const WITH_TYPE_ERROR = "event.type == 'transfer'\n  && amount > '5000 CNY'\n  && features.ip.isProxy";
const FIXED = "event.type == 'transfer'\n  && amount >= 500000\n  && features.ip.isProxy";

describe.skipIf(skipReason !== null)('risk rules in the console', () => {
  let bw: TestBulwark;
  let browser: Browser;
  let page: Page;
  let base = '';
  let analyst: ActivatedStaff;

  /** A tab signed in as a new staff user of the role, restored from the tab's refresh token as after a reload. */
  const openAs = (role: StaffRole) => openTabAs(bw, browser, role);
  const shot = (name: string) => shotOf(page, name);
  const nav = (p: Page, name = 'Areas') => p.getByRole('navigation', { name });

  beforeAll(async () => {
    bw = await startBulwark({ name: 'pglite' });
    analyst = await activateStaff(
      bw,
      { ...ANALYST, displayName: 'Rui Analyst', role: 'analyst' },
      'console-rules-test',
    );
    ({ base, browser, page } = await openConsole(bw));
  });

  afterAll(async () => {
    await browser?.close();
    await bw?.drop();
  });

  it('signs the analyst in and lists the starter rules as active, filtered by state', async () => {
    await page.goto(`${base}/rules`);
    await page.waitForURL(/\/sign-in$/);
    await page.getByLabel('E-mail').fill(ANALYST.email);
    await page.locator('input[name="password"]').fill(ANALYST.password);
    // The activation spent the current step's code; the next step's code is inside the accepted window.
    await page.getByLabel('Authenticator code').fill(nextCode(analyst));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/rules$/);
    await nav(page).getByRole('link', { name: 'Rules' }).waitFor();

    const table = page.getByTestId('rules-table');
    await table.waitFor();
    for (const r of STARTER_RULES) {
      const row = page.getByTestId(`rule-row-${r.id}`);
      expect(await row.getByTestId('version-badge-1').textContent(), r.id).toBe('v1 · Active');
      expect(await row.textContent(), r.id).toContain(r.reasonCode);
    }
    await page.getByTestId('rule-state-filter').getByText('Draft', { exact: true }).click();
    await page.getByText('No rule matches.').waitFor();
    await page.getByTestId('rule-state-filter').getByText('Active', { exact: true }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(STARTER_RULES.length);
    await page.getByPlaceholder('Rule id, name or reason code').fill('phishing');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    await page.getByPlaceholder('Rule id, name or reason code').fill('');
    await shot('rules');
  });

  it('marks a type error at its line and column, then checks, tests and saves the fixed rule', async () => {
    await page.getByTestId('new-rule').click();
    await page.waitForURL(/\/rules\/new$/);
    await page.getByLabel('Rule id').fill(RULE_ID);
    await page.getByLabel('Name').fill('Large transfer through a proxy');
    await page.getByLabel('Description').fill('5,000 CNY or more sent from a known proxy or VPN exit.');
    const expression = page.getByLabel('Expression (CEL)');
    await expression.fill(WITH_TYPE_ERROR);
    await page.getByTestId('rule-check').click();

    const issue = page.getByTestId('cel-issue');
    await issue.waitFor();
    expect(await issue.count()).toBe(1);
    expect(await issue.textContent()).toContain('Line 2, column 13');
    expect(await issue.textContent()).toContain("cannot compare int with string using '>'");
    // The token at the position is underlined in the editor itself, and a caret points at it under the line.
    const mark = page.getByTestId('cel-editor').locator('mark[data-issue-line="2"][data-issue-column="13"]');
    expect(await mark.textContent()).toBe('>');
    expect(await issue.locator('pre').textContent()).toBe("  && amount > '5000 CNY'\n            ^");
    expect(await expression.getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('rule-draft').scrollIntoViewIfNeeded();
    await page.getByTestId('cel-editor').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await page.mouse.move(10, 10);
    await shot('rules-editor');

    // Saving is refused the same way, with the same position.
    await page.getByLabel('Score').fill('35');
    await page.getByLabel('Reason code').fill('PROXY_LARGE_TRANSFER');
    await page.getByLabel('Customer message').selectOption('risk.msg.review');
    await page.getByTestId('rule-save').click();
    await page.getByTestId('rule-save-error').waitFor();
    expect(await page.getByTestId('rule-save-error').textContent()).toBe(
      'The rule expression is not valid; see the marked lines.',
    );
    expect(await page.getByTestId('cel-issue').textContent()).toContain('Line 2, column 13');

    // Editing takes the marks off the text (they no longer fit it) until the next check.
    await expression.fill(FIXED);
    expect(await page.getByTestId('cel-editor').locator('mark').count()).toBe(0);
    await page.getByText('The expression changed since it was checked: check it again.').waitFor();
    await page.getByTestId('rule-check').click();
    await page.getByTestId('rule-check-ok').waitFor();
    expect(await page.getByTestId('cel-issues').count()).toBe(0);
    expect(await page.getByTestId('rule-check-ok').textContent()).toBe(
      'No problems: the expression is valid.',
    );

    // The prefilled event is a 8,000 CNY transfer; the prefilled features are an ordinary customer's.
    const panel = page.getByTestId('rule-test');
    await panel.getByTestId('rule-test-run').click();
    await panel.getByTestId('rule-test-matched').waitFor();
    expect(await panel.getByTestId('rule-test-matched').textContent()).toBe('Not matched');
    const featuresBox = panel.getByLabel('Features (JSON)');
    const features: unknown = JSON.parse(await featuresBox.inputValue());
    if (typeof features !== 'object' || features === null) throw new Error('the features are not an object');
    expect(at(features, 'ip.isProxy')).toBe(false);
    await featuresBox.fill(JSON.stringify({ ...features, 'ip.isProxy': true }, null, 2));
    await panel.getByTestId('rule-test-run').click();
    await expect.poll(() => panel.getByTestId('rule-test-matched').textContent()).toBe('Matched');
    expect(await panel.getByTestId('rule-test-result').textContent()).toContain(
      'When it acts, the rule asks for Review and adds 35 to the score.',
    );

    await page.getByTestId('rule-save').click();
    await page.waitForURL(new RegExp(`/rules/${RULE_ID}$`));
    await page
      .getByTestId('rule-saved')
      .getByText(`Rule ${RULE_ID} was created; version 1 is a draft.`)
      .waitFor();
    expect(await page.getByTestId('version-row-1').getAttribute('data-state')).toBe('draft');
    expect(await page.getByTestId('acting-version').textContent()).toContain('No version acts');
  });

  it('moves the draft to shadow and asks for its activation', async () => {
    const row = page.getByTestId('version-row-1');
    await row.getByRole('button', { name: 'Move to shadow' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('Watch it on live traffic for a week.');
    await dialog.getByRole('button', { name: 'Move to shadow' }).click();
    await page.getByTestId('rule-notice').getByText('Version 1 is now in shadow.').waitFor();
    await expect.poll(() => row.getAttribute('data-state')).toBe('shadow');
    expect(await row.getByRole('button', { name: 'Move to shadow' }).count()).toBe(0);

    await row.getByRole('button', { name: 'Request activation' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('A clean week in shadow: no false positives.');
    await dialog.getByRole('button', { name: 'Request activation' }).click();
    const notice = page.getByTestId('rule-notice');
    await notice.getByText('Activation of version 1 requested').waitFor();
    expect(await notice.getByTestId('approval-id').textContent()).toMatch(/^apr_/);
    await row.getByTestId('waiting-1').waitFor();
    expect(await row.getByRole('button', { name: 'Request activation' }).count()).toBe(0);
    expect(await row.getAttribute('data-state')).toBe('shadow');

    await notice.getByRole('link', { name: 'Open the Approvals inbox' }).click();
    await page.waitForURL(/\/approvals$/);
    const mine = page.locator('[data-testid^="approval-"]', { hasText: RULE_ID });
    await mine.waitFor();
    expect(await mine.textContent()).toContain('Publish a risk rule version');
    expect(await mine.textContent()).toContain('Your request');
    expect(await mine.getByRole('button', { name: 'Approve' }).count()).toBe(0);
  });

  it('lets a compliance officer approve the activation; the rule then acts', async () => {
    const { context, tab } = await openAs('compliance');
    try {
      await tab.goto(`${base}/approvals`);
      const request = tab.locator('[data-testid^="approval-"]', { hasText: RULE_ID });
      await request.waitFor();
      expect(await request.textContent()).toContain('Publish a risk rule version');
      await request.getByRole('button', { name: 'Approve' }).click();
      const dialog = tab.getByRole('dialog');
      await dialog.getByLabel('Reason').fill('Shadow results reviewed with the analyst.');
      await dialog.getByRole('button', { name: 'Approve' }).click();
      await tab.getByText('The request is now Approved.').waitFor();

      // Compliance reads and publishes rules but does not write them: no editor, no moves but testing.
      await nav(tab).getByRole('link', { name: 'Rules' }).click();
      await tab.getByTestId(`rule-row-${RULE_ID}`).getByRole('link').click();
      await tab.getByTestId('versions-table').waitFor();
      expect(await tab.getByTestId('version-row-1').getAttribute('data-state')).toBe('active');
      expect(await tab.getByTestId('rule-save').count()).toBe(0);
      expect(await tab.getByRole('button', { name: 'Move to shadow' }).count()).toBe(0);
      expect(await tab.getByTestId('new-rule').count()).toBe(0);
    } finally {
      await context.close();
    }

    await page.goto(`${base}/rules/${RULE_ID}`);
    const row = page.getByTestId('version-row-1');
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('active');
    expect(await page.getByTestId('acting-version').getAttribute('data-version')).toBe('1');
    expect(await page.getByTestId('acting-version-expression').textContent()).toContain(
      'features.ip.isProxy',
    );
    await nav(page).getByRole('link', { name: 'Rules' }).click();
    expect(await page.getByTestId(`rule-row-${RULE_ID}`).getByTestId('version-badge-1').textContent()).toBe(
      'v1 · Active',
    );

    const rule = await new Api(() => bw).asStaff('auditor').get(`/v1/risk/rules/${RULE_ID}`);
    expect(rule.body).toMatchObject({ activeVersion: 1, versions: [{ version: 1, state: 'active' }] });
  });

  it('shows the rules and the checker’s messages in Chinese', async () => {
    await page.getByTestId('language-switch').getByText('中文').click();
    await page.getByRole('heading', { name: '风控规则' }).waitFor();
    await nav(page, '功能区').getByRole('link', { name: '规则' }).waitFor();
    expect(await page.getByTestId(`rule-row-${RULE_ID}`).getByTestId('version-badge-1').textContent()).toBe(
      'v1 · 生效中',
    );
    await page.getByTestId('new-rule').click();
    await page.getByLabel('表达式（CEL）').fill(WITH_TYPE_ERROR);
    await page.getByTestId('rule-check').click();
    const issue = page.getByTestId('cel-issue');
    await issue.waitFor();
    expect(await issue.textContent()).toContain('第 2 行，第 13 列');
    expect(await issue.textContent()).toContain("不能用 '>' 比较 int 和 string");
  });
});
