// The console end to end in Chromium: a risk analyst signs in with password and authenticator code, finds a customer, opens their held transfer, releases it with a reason and sees the balance change, then reads the console in Chinese after a reload.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, str } from '../api/client.ts';
import { startBulwark, type TestBulwark } from '../helpers.ts';
import {
  type ActivatedStaff,
  activateStaff,
  consoleSkipReason,
  nextCode,
  openConsole,
  openAs as openTabAs,
  SHOTS,
  shot as shotOf,
} from './support.ts';

const skipReason = consoleSkipReason('console end-to-end tests');

const ANALYST = { email: 'analyst@console.test', password: 'quiet-harbour-lantern-917' };
const TOPUP_MINOR = '5000000'; // ¥50,000.00
const HELD_MINOR = '2000000'; // ¥20,000.00: over the review threshold, so the gate holds it

describe.skipIf(skipReason !== null)('risk operations console in Chromium', () => {
  let bw: TestBulwark;
  let browser: Browser;
  let page: Page;
  let base = '';
  let analyst: ActivatedStaff;
  let customerId = '';
  let walletId = '';
  let holdId = '';
  /** A tab signed in as a new staff user of the role: the session is restored from the tab's refresh token, as after a reload. */
  const openAs = (role: 'support' | 'auditor') => openTabAs(bw, browser, role);
  const shot = (name: string) => shotOf(page, name);

  beforeAll(async () => {
    bw = await startBulwark({ name: 'pglite' });
    const api = new Api(() => bw);
    const li = await api.fundedCustomer('Li Wei', TOPUP_MINOR);
    customerId = li.id;
    walletId = li.walletId;
    const wang = await api.customer('Wang Fang');
    await api.customer('Zhang Min');
    const zhou = await api.customer('Zhou Jie');
    const chen = await api.customer('Chen Lu');
    await api.transfer(walletId, wang.walletId, '2500', 'lunch');
    const held = await api.transfer(walletId, wang.walletId, HELD_MINOR, 'rent');
    expect(held.status, held.text).toBe(202);
    holdId = str(held.body, 'holdId');

    // A risk analyst through the real activation: password, then the authenticator confirmed with a code.
    analyst = await activateStaff(
      bw,
      { ...ANALYST, displayName: 'Ana Analyst', role: 'analyst' },
      'console-test',
    );

    // Two unfreeze requests in the analyst's inbox: one a compliance officer made, one the analyst made.
    for (const id of [zhou.id, chen.id]) {
      expect((await api.post(`/v1/owners/${id}/freeze`, { reason: 'phone reported stolen' })).status).toBe(
        200,
      );
    }
    const asCompliance = api.as(await bw.staffAuth('compliance'));
    const byCompliance = await asCompliance.post(`/v1/owners/${zhou.id}/unfreeze`, {
      reason: 'owner identified in branch',
    });
    expect(byCompliance.status, byCompliance.text).toBe(202);
    const analystSession = await bw.dbHandle.db
      .transaction()
      .execute((tx) =>
        bw.sessions.start(
          tx,
          { type: 'staff', id: analyst.staffId, role: 'analyst', amr: ['pwd', 'otp'] },
          {},
        ),
      );
    const byAnalyst = await api
      .as(`Bearer ${analystSession.pair.accessToken}`)
      .post(`/v1/owners/${chen.id}/unfreeze`, { reason: 'documents checked by phone' });
    expect(byAnalyst.status, byAnalyst.text).toBe(202);

    ({ base, browser, page } = await openConsole(bw));
  });

  afterAll(async () => {
    await browser?.close();
    await bw?.drop();
  });

  it('refuses a wrong code with a friendly message, then signs in with password and TOTP', async () => {
    await page.goto(`${base}/customers`);
    await page.waitForURL(/\/sign-in$/);
    // Waits for the page to render: a loaded CI machine may take a moment after the redirect.
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('E-mail').fill(ANALYST.email);
    await page.locator('input[name="password"]').fill(ANALYST.password);
    await page.getByLabel('Authenticator code').fill('000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.getByTestId('sign-in-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('The e-mail, password or authenticator code is not correct.');
    await shot('sign-in');

    // The activation spent the current step's code; the next step's code is inside the accepted window.
    await page.locator('input[name="password"]').fill(ANALYST.password);
    await page.getByLabel('Authenticator code').fill(nextCode(analyst));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/customers$/);
    await page.getByTestId('signed-in-user').waitFor();
    expect(await page.getByTestId('signed-in-user').textContent()).toBe('Ana Analyst');
    expect(await page.getByTestId('signed-in-role').textContent()).toBe('Risk analyst');
  });

  it('shows only the areas of the analyst role', async () => {
    const nav = page.getByRole('navigation', { name: 'Areas' });
    await nav.getByRole('link').first().waitFor();
    const areas = await nav.getByRole('link').allTextContents();
    expect(areas).toEqual([
      'Overview',
      'Customers',
      'Held movements',
      'Alerts',
      'Cases',
      'Disputes',
      'Feedback',
      'Ledger',
      'Risk reserve',
      'Decisions',
      'Rules',
      'Back-tests',
      'Models',
      'Approvals',
    ]);
  });

  it('lists the held transfer in the review queue with its decision', async () => {
    const nav = page.getByRole('navigation', { name: 'Areas' });
    await nav.getByRole('link', { name: 'Held movements' }).click();
    const row = page.getByTestId(`hold-row-${holdId}`);
    await row.waitFor();
    expect(await row.textContent()).toContain('CN¥20,000.00');
    expect(await row.textContent()).toContain('LARGE_AMOUNT');
    await shot('review-queue');
    await nav.getByRole('link', { name: 'Customers' }).click();
  });

  it('finds the customer and shows the wallet with the held amount', async () => {
    await page.getByLabel('Search').fill('Li');
    await page.getByRole('button', { name: 'Search' }).click();
    const link = page.getByTestId('customers-table').getByRole('link', { name: 'Li Wei' });
    await link.waitFor();
    await link.click();
    await page.waitForURL(new RegExp(`/customers/${customerId}$`));
    const wallet = page.getByTestId(`wallet-${walletId}`);
    await wallet.waitFor();
    expect(await wallet.getByTestId('balance-posted').textContent()).toBe('CN¥49,975.00');
    expect(await wallet.getByTestId('balance-held').textContent()).toBe('CN¥20,000.00');
    expect(await wallet.getByTestId('balance-available').textContent()).toBe('CN¥29,975.00');
    await shot('customer');
  });

  it('opens the held movement from the customer and releases it: the balance changes', async () => {
    await page.getByRole('link', { name: 'Transfer' }).first().click();
    await page.waitForURL(new RegExp(`/holds/${holdId}$`));
    const posted = page.getByTestId('account-balance').getByTestId('balance-posted');
    await posted.waitFor();
    expect(await posted.textContent()).toBe('CN¥49,975.00');
    await page.getByText('Review', { exact: true }).first().waitFor();
    await shot('held-movement');

    await page.getByRole('button', { name: 'Release' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('Called the customer; the rent payment is genuine.');
    await dialog.getByRole('button', { name: 'Release' }).click();
    await page.getByTestId('hold-done').waitFor();
    const card = page.getByTestId('account-balance');
    await expect.poll(() => card.getByTestId('balance-posted').textContent()).toBe('CN¥29,975.00');
    expect(await card.getByTestId('balance-held').textContent()).toBe('CN¥0.00');
    expect(await card.getByTestId('balance-available').textContent()).toBe('CN¥29,975.00');
    await page.getByText('Released', { exact: true }).first().waitFor();

    const api = new Api(() => bw);
    const hold = await api.get(`/v1/holds/${holdId}`);
    expect(str(hold.body, 'status')).toBe('posted');
  });

  it('shows its own approval request as not approvable and approves another with a reason', async () => {
    await page.getByRole('navigation', { name: 'Areas' }).getByRole('link', { name: 'Approvals' }).click();
    const mine = page.locator('[data-testid^="approval-"]', { hasText: 'Your request' });
    await mine.waitFor();
    expect(await mine.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await mine.getByRole('button', { name: 'Withdraw' }).waitFor();
    const theirs = page.locator('[data-testid^="approval-"]', { hasText: 'owner identified in branch' });
    await shot('approvals');
    await theirs.getByRole('button', { name: 'Approve' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('Identity confirmed against the branch record.');
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('The request is now Approved.').waitFor();
    await page.getByRole('tab', { name: 'Approved' }).click();
    await page.locator('[data-testid^="approval-"]', { hasText: 'owner identified in branch' }).waitFor();
  });

  it('explores the ledger: entries, a transaction story, the decision stream', async () => {
    const nav = page.getByRole('navigation', { name: 'Areas' });
    await nav.getByRole('link', { name: 'Ledger' }).click();
    const entries = page.getByTestId('entries-table');
    await entries.waitFor();
    expect(await entries.textContent()).toContain('CN¥20,000.00');
    await entries.getByRole('link', { name: 'Transfer' }).first().click();
    await page.waitForURL(/\/ledger\/entries\/txn_/);
    const postings = page.getByTestId('postings-table');
    await postings.waitFor();
    expect(await postings.textContent()).toContain('CN¥20,000.00');
    expect(await page.getByText('Not available yet').count()).toBe(0);
    await shot('transaction-story');
    await nav.getByRole('link', { name: 'Decisions' }).click();
    const decisions = page.getByTestId('decisions-table');
    await decisions.waitFor();
    expect(await decisions.textContent()).toContain('LARGE_AMOUNT');
    await page.getByTestId('outcome-filter').getByText('Review', { exact: true }).click();
    await expect.poll(() => decisions.textContent()).not.toContain('Allowed');
    expect(await decisions.textContent()).toContain('LARGE_AMOUNT');
  });

  it('shows the review queue empty and the dashboard figures', async () => {
    await page
      .getByRole('navigation', { name: 'Areas' })
      .getByRole('link', { name: 'Held movements' })
      .click();
    await page.getByText('No movement is waiting for review.').waitFor();
    await page.getByRole('navigation', { name: 'Areas' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByTestId('stat-custody').getByText('Balanced').waitFor();
    await page.locator('canvas').first().waitFor();
    await shot('overview');
  });

  it('switches to Chinese, keeps it and the session across a reload', async () => {
    await page.goto(`${base}/customers/${customerId}`);
    await page.getByTestId(`wallet-${walletId}`).waitFor();
    await page.getByTestId('language-switch').getByText('中文').click();
    await page.getByRole('heading', { name: '钱包' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await page.reload();
    await page.getByRole('heading', { name: '钱包' }).waitFor();
    await page.getByRole('navigation', { name: '功能区' }).getByRole('link').first().waitFor();
    const nav = await page.getByRole('navigation', { name: '功能区' }).getByRole('link').allTextContents();
    expect(nav).toEqual([
      '总览',
      '客户',
      '待审资金',
      '预警',
      '案件',
      '争议',
      '意见反馈',
      '账本',
      '风险补偿金',
      '风控决策',
      '规则',
      '回测',
      '模型',
      '审批',
    ]);
    expect(await page.getByTestId(`wallet-${walletId}`).getByTestId('balance-posted').textContent()).toBe(
      '¥29,975.00',
    );
    expect(await page.getByTestId('signed-in-role').textContent()).toBe('风控分析师');
    await shot('customer-zh');
    await page.getByRole('navigation', { name: '功能区' }).getByRole('link', { name: '总览' }).click();
    await page.getByTestId('stat-custody').getByText('平衡').waitFor();
    await page.locator('canvas').first().waitFor();
    await page.getByRole('button', { name: '切换到深色主题' }).click();
    await expect.poll(() => page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
    await page.mouse.move(1200, 760);
    await page.getByRole('tooltip').waitFor({ state: 'hidden' });
    await shot('overview-zh-dark');
  });

  it('lets a support agent reveal a personal value with a reason, and not decide holds', async () => {
    const { context, tab } = await openAs('support');
    try {
      await tab.goto(`${base}/customers/${customerId}`);
      await tab.getByTestId(`wallet-${walletId}`).waitFor();
      await tab.getByRole('navigation', { name: 'Areas' }).getByRole('link').first().waitFor();
      const nav = await tab.getByRole('navigation', { name: 'Areas' }).getByRole('link').allTextContents();
      expect(nav).toEqual([
        'Overview',
        'Customers',
        'Held movements',
        'Alerts',
        'Cases',
        'Disputes',
        'Feedback',
        'Approvals',
      ]);

      await tab.getByRole('button', { name: 'Reveal Legal name' }).click();
      const dialog = tab.getByRole('dialog');
      await dialog.getByLabel('Reason').fill('check');
      await dialog.getByRole('button', { name: 'Reveal' }).click();
      await dialog.getByText('The reason needs at least 10 characters.').waitFor();
      await dialog.getByLabel('Reason').fill('Customer called about a name change on the account');
      await dialog.getByRole('button', { name: 'Reveal' }).click();
      await tab.getByText('Li Wei', { exact: true }).nth(1).waitFor();
      await tab.getByRole('button', { name: 'Hide' }).waitFor();
      await dialog.waitFor({ state: 'hidden' });
      await tab.screenshot({ path: join(SHOTS, 'reveal.png') });
      const audit = await new Api(() => bw)
        .as(await bw.staffAuth('auditor'))
        .get(`/v1/audit?action=pii.reveal&targetId=${customerId}`);
      expect(audit.text).toContain('Customer called about a name change on the account');

      const api = new Api(() => bw);
      const payee = await api.customer('He Ping');
      const second = await api.transfer(walletId, payee.walletId, HELD_MINOR, 'deposit');
      expect(second.status, second.text).toBe(202);
      await tab.goto(`${base}/holds/${str(second.body, 'holdId')}`);
      await tab.getByText('Your role can see held movements but not decide them.').waitFor();
      expect(await tab.getByRole('button', { name: 'Release' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('shows an auditor the audit log with its chain verified, filtered by action', async () => {
    const { context, tab } = await openAs('auditor');
    try {
      await tab.goto(`${base}/audit`);
      await tab
        .getByTestId('audit-chain')
        .getByText(/^Chain intact/)
        .waitFor();
      await tab.getByTestId('audit-table').waitFor();
      await tab.getByLabel('Action').fill('pii.reveal');
      await tab.getByRole('button', { name: 'Apply' }).click();
      await tab.getByText('Customer called about a name change on the account').waitFor();
      await tab.screenshot({ path: join(SHOTS, 'audit.png') });
    } finally {
      await context.close();
    }
  });

  it('signs out and keeps the pages behind the sign-in', async () => {
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.goto(`${base}/holds`);
    await page.waitForURL(/\/sign-in$/);
    await page.getByRole('heading', { name: '登录' }).waitFor();
  });
});
