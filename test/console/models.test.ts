// The model registry end to end in Chromium: an analyst finds a registered model version on the Models page and filters by status, opens it (training facts, risk levels, features, history), puts it in shadow and sees a decision carry its shadow score, asks for its promotion and finds the pending request in Approvals; once another person approves, the champion's score and what pushed it show on the next decision. An auditor reads without controls, and the pages read in Chinese.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, str } from '../api/client.ts';
import { startBulwark, type TestBulwark } from '../helpers.ts';
import { modelFile } from '../risk/model/support.ts';
import { consoleSkipReason, openConsole, openAs as openTabAs, shot } from './support.ts';

const skipReason = consoleSkipReason('console model registry end-to-end tests');

const MODEL = 'fraud-test';
/** Over the model's "large amount" split: the champion scores it high, led by event.amount. */
const LARGE_MINOR = '1900000'; // ¥19,000.00

describe.skipIf(skipReason !== null)('the model registry in the console', () => {
  let bw: TestBulwark;
  let api: Api;
  let browser: Browser;
  let context: BrowserContext;
  let tab: Page;
  let base = '';
  let id1 = '';
  let id2 = '';
  let payerWallet = '';
  let payeeWallet = '';
  let approvalId = '';
  const nav = (p: Page, name = 'Areas') => p.getByRole('navigation', { name });

  /** A transfer through the API and the id of the decision made on it. */
  async function decide(amountMinor: string): Promise<string> {
    const t = await api.transfer(payerWallet, payeeWallet, amountMinor, 'model test');
    expect([201, 202], t.text).toContain(t.status);
    return str(t.body, 'decision', 'id');
  }

  beforeAll(async () => {
    bw = await startBulwark({ name: 'pglite' });
    api = new Api(() => bw);
    const payer = await api.fundedCustomer('Model Payer', '5000000');
    const payee = await api.customer('Model Payee');
    payerWallet = payer.walletId;
    payeeWallet = payee.walletId;
    // Registered by another analyst than the one in the browser, as `bulwark model train` would.
    const registrar = api.asStaff('analyst');
    const first = await registrar.post('/v1/risk/models', { model: modelFile(MODEL, 1), scope: 'all' });
    expect(first.status, first.text).toBe(201);
    id1 = str(first.body, 'id');
    const second = await registrar.post('/v1/risk/models', { model: modelFile(MODEL, 2), scope: 'all' });
    expect(second.status, second.text).toBe(201);
    id2 = str(second.body, 'id');

    let page: Page;
    ({ base, browser, page } = await openConsole(bw));
    await page.close();
    ({ context, tab } = await openTabAs(bw, browser, 'analyst'));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await bw?.drop();
  });

  it('lists the registered versions on the Models page and filters them by status', async () => {
    await tab.goto(`${base}/overview`);
    await nav(tab).getByRole('link', { name: 'Models' }).click();
    await tab.waitForURL(/\/models$/);
    await tab.getByRole('heading', { name: 'Risk models' }).waitFor();
    const row = tab.getByTestId(`model-row-${id1}`);
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain(`${MODEL}@1`);
    expect(text).toContain('Every money movement');
    expect(text).toContain('Candidate');
    expect(text).toContain('Dec 1, 2025 – Dec 31, 2025');
    expect(text).toMatch(/4,000 \/ [0-9,]+/);
    expect(await row.getAttribute('data-status')).toBe('candidate');
    // Newest first.
    expect(await tab.locator('[data-testid^="model-row-"]').first().getAttribute('data-testid')).toBe(
      `model-row-${id2}`,
    );

    await tab.getByTestId('model-status-filter').getByText('Champion', { exact: true }).click();
    await tab.getByText('No version has this status.').waitFor();
    await tab.getByTestId('model-status-filter').getByText('Candidate', { exact: true }).click();
    await expect.poll(() => tab.locator('[data-testid^="model-row-"]').count()).toBe(2);
    await tab.getByTestId('model-status-filter').getByText('All', { exact: true }).click();
  });

  it('opens a version: its training, risk levels, features and history', async () => {
    await tab.getByTestId(`model-link-${id1}`).click();
    await tab.waitForURL(new RegExp(`/models/${id1}$`));
    await tab.getByRole('heading', { name: `${MODEL}@1` }).waitFor();
    const status = tab.getByTestId('model-status');
    await status.waitFor();
    expect(await status.getAttribute('data-status')).toBe('candidate');
    const features = tab.getByTestId('model-features');
    await features.waitFor();
    expect(await features.textContent()).toContain('event.amount');
    expect(await features.textContent()).toContain('customer.out.count_24h');
    const thresholds = tab.getByTestId('model-thresholds');
    expect(await thresholds.textContent()).toContain('0.2000');
    expect(await thresholds.textContent()).toContain('0.6000');
    expect(await tab.getByRole('heading', { name: 'Training' }).count()).toBe(1);
    expect(await tab.getByText('trees=20').count()).toBe(1);
    const events = tab.getByTestId('model-event');
    expect(await events.count()).toBe(1);
    expect(await events.first().textContent()).toContain('Registered as a candidate');
    // A candidate: into shadow, promoted, or retired; never taken out of a shadow it is not in.
    await tab.getByTestId('model-action-shadow').waitFor();
    expect(await tab.getByTestId('model-action-promote').count()).toBe(1);
    expect(await tab.getByTestId('model-action-retire').count()).toBe(1);
    expect(await tab.getByTestId('model-action-unshadow').count()).toBe(0);
  });

  it('puts it in shadow; a decision then carries its shadow score and no champion’s', async () => {
    await tab.getByTestId('model-action-shadow').click();
    const dialog = tab.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('ok');
    await dialog.getByRole('button', { name: 'Put in shadow' }).click();
    await dialog.getByText('The reason needs at least 3 characters.').waitFor();
    await dialog.getByLabel('Reason').fill('Compare it with live traffic for a week.');
    await dialog.getByRole('button', { name: 'Put in shadow' }).click();
    await tab
      .getByTestId('model-notice')
      .getByText(`${MODEL}@1 is now a challenger, scoring in shadow.`)
      .waitFor();
    await expect.poll(() => tab.getByTestId('model-status').getAttribute('data-status')).toBe('challenger');
    await expect.poll(() => tab.getByTestId('model-event').count()).toBe(2);
    expect(await tab.getByTestId('model-event').last().textContent()).toContain('Candidate → Challenger');
    await tab.getByTestId('model-action-unshadow').waitFor();
    expect(await tab.getByTestId('model-action-shadow').count()).toBe(0);

    const decisionId = await decide('1200');
    await tab.goto(`${base}/decisions/${decisionId}`);
    const shadow = tab.getByTestId(`model-shadow-${MODEL}@1`);
    await shadow.waitFor();
    expect(await shadow.textContent()).toMatch(/Score 0\.[0-9]{3}/);
    expect(await tab.getByTestId('decision-model').textContent()).toContain(
      'No champion model scored this event.',
    );
  });

  it('asks for its promotion: the request waits in Approvals', async () => {
    await tab.goto(`${base}/models/${id1}`);
    await tab.getByTestId('model-action-promote').click();
    const dialog = tab.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('A clean week in shadow: better precision at 100.');
    await dialog.getByRole('button', { name: 'Request promotion' }).click();
    const notice = tab.getByTestId('model-notice');
    await notice.getByText(`Promotion of ${MODEL}@1 requested`).waitFor();
    approvalId = (await notice.getByTestId('approval-id').textContent()) ?? '';
    expect(approvalId).toMatch(/^apr_/);
    await tab.getByTestId('model-waiting').waitFor();
    expect(await tab.getByTestId('model-action-promote').count()).toBe(0);
    expect(await tab.getByTestId('model-status').getAttribute('data-status')).toBe('challenger');

    await notice.getByRole('link', { name: 'Open the Approvals inbox' }).click();
    await tab.waitForURL(/\/approvals$/);
    const request = tab.getByTestId(`approval-${approvalId}`);
    await request.waitFor();
    expect(await request.textContent()).toContain(`${MODEL} v1`);
    expect(await request.textContent()).toContain('Pending');
    expect(await request.textContent()).toContain('Your request');
    expect(await request.getByRole('button', { name: 'Approve' }).count()).toBe(0);
  });

  it('shows the champion once approved, and its score with what pushed it on the next decision', async () => {
    const approved = await api
      .asStaff('compliance')
      .post(`/v1/approvals/${approvalId}/approve`, { reason: 'Read the shadow report.' });
    expect(approved.status, approved.text).toBe(200);

    await tab.goto(`${base}/models/${id1}`);
    await expect.poll(() => tab.getByTestId('model-status').getAttribute('data-status')).toBe('champion');
    await expect.poll(() => tab.getByTestId('model-event').count()).toBe(3);
    expect(await tab.getByTestId('model-event').last().textContent()).toContain(approvalId);
    expect(await tab.getByTestId('model-waiting').count()).toBe(0);
    await tab.getByTestId('model-action-retire').waitFor();
    await tab.mouse.move(10, 10);
    await tab.evaluate('window.scrollTo(0, 0)');
    await shot(tab, 'models');

    const decisionId = await decide(LARGE_MINOR);
    await tab.goto(`${base}/decisions/${decisionId}`);
    const score = tab.getByTestId('decision-model-score');
    await score.waitFor();
    expect(await score.textContent()).toMatch(/^Score 0\.[0-9]{3}$/);
    expect(await tab.getByTestId('decision-model').textContent()).toContain(`${MODEL}@1`);
    const amount = tab.getByTestId('model-contribution-event.amount');
    await amount.waitFor();
    expect(await amount.textContent()).toContain('CN¥19,000.00');
    expect(await amount.getAttribute('data-sign')).toBe('fraud');
    // Version 2 was never in shadow: no challenger scored.
    expect(await tab.getByTestId('decision-model-shadow').count()).toBe(0);
  });

  it('shows an auditor the versions without the controls to change them', async () => {
    const auditor = await openTabAs(bw, browser, 'auditor');
    try {
      await auditor.tab.goto(`${base}/overview`);
      await nav(auditor.tab).getByRole('link', { name: 'Models' }).click();
      await auditor.tab.getByTestId(`model-link-${id2}`).click();
      await auditor.tab.getByRole('heading', { name: `${MODEL}@2` }).waitFor();
      await auditor.tab.getByText('Your role can read models but not change them.').waitFor();
      expect(await auditor.tab.locator('[data-testid^="model-action-"]').count()).toBe(0);
    } finally {
      await auditor.context.close();
    }
  });

  it('reads the model pages in Chinese', async () => {
    await tab.goto(`${base}/models/${id1}`);
    await tab.getByTestId('model-status').waitFor();
    await tab.getByTestId('language-switch').getByText('中文').click();
    await tab.getByRole('heading', { name: '训练信息' }).waitFor();
    await tab.getByRole('heading', { name: '状态变更记录' }).waitFor();
    await tab.getByRole('heading', { name: '风险等级' }).waitFor();
    expect(await tab.getByTestId('model-status').textContent()).toBe('冠军');
    await nav(tab, '功能区').getByRole('link', { name: '模型' }).click();
    await tab.getByRole('heading', { name: '风控模型' }).waitFor();
    const row = tab.getByTestId(`model-row-${id2}`);
    await row.waitFor();
    expect(await row.textContent()).toContain('候选');
    expect(await row.textContent()).toContain('全部资金变动');
    await tab.getByTestId('language-switch').getByText('English').click();
    await tab.getByRole('heading', { name: 'Risk models' }).waitFor();
  });
});
