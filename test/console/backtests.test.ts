// The decision page and back-tests end to end in Chromium: an analyst opens a held transfer's decision and reads why it was held, back-tests the active set over the last week and sees the two sets' numbers side by side, tries a draft rule version whose diff links to the decision it changes, and labels the decision as fraud; a refused label and a read-only auditor are handled.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, arr, str } from '../api/client.ts';
import { startBulwark, type TestBulwark } from '../helpers.ts';
import { consoleSkipReason, openConsole, openAs as openTabAs, shot } from './support.ts';

const skipReason = consoleSkipReason('console decision and back-test end-to-end tests');

const TOPUP_MINOR = '5000000'; // ¥50,000.00
const HELD_MINOR = '2000000'; // ¥20,000.00: over the review threshold, so the gate holds it
/** A draft that would hold large top-ups: tried as the candidate, it changes the top-up's outcome. */
const DRAFT = {
  id: 'large_topup_review',
  name: 'Large top-up',
  expression: "event.type == 'topup' && amount >= 1000000",
  action: 'REVIEW',
  score: 20,
  reasonCode: 'LARGE_TOPUP',
  messageKey: 'risk.msg.review',
};

describe.skipIf(skipReason !== null)('decisions and back-tests in the console', () => {
  let bw: TestBulwark;
  let browser: Browser;
  let context: BrowserContext;
  let tab: Page;
  let base = '';
  let holdId = '';
  let heldDecisionId = '';
  let topupDecisionId = '';
  const nav = (p: Page) => p.getByRole('navigation', { name: 'Areas' });

  /** Starts a back-test from the form as it is and waits on its page until it is done. */
  async function startAndFinish(): Promise<string> {
    await tab.getByTestId('backtest-start').click();
    await tab.waitForURL(/\/backtests\/bt_[0-9a-z]{26}$/);
    await expect
      .poll(() => tab.getByTestId('backtest-status').first().getAttribute('data-status'), { timeout: 30_000 })
      .toBe('done');
    await tab.getByTestId('bt-compare').waitFor();
    return tab.url().split('/').pop() ?? '';
  }

  const metric = (name: string, side: 'baseline' | 'candidate') =>
    tab.getByTestId(`bt-metric-${name}`).getByTestId(side).textContent();

  beforeAll(async () => {
    bw = await startBulwark({ name: 'pglite' });
    const api = new Api(() => bw);
    const li = await api.fundedCustomer('Li Wei', TOPUP_MINOR);
    // Wang's account is new: a large transfer to it is held by a starter rule too.
    const wang = await api.customer('Wang Fang', ['CNY'], 2, null);
    await api.transfer(li.walletId, wang.walletId, '2500', 'lunch');
    const held = await api.transfer(li.walletId, wang.walletId, HELD_MINOR, 'rent');
    expect(held.status, held.text).toBe(202);
    holdId = str(held.body, 'holdId');
    const analyst = api.asStaff('analyst');
    heldDecisionId = str((await analyst.get(`/v1/holds/${holdId}`)).body, 'decisionId');
    const decisions = arr((await analyst.get('/v1/decisions?limit=10')).body, 'items');
    topupDecisionId =
      decisions
        .map((d) => ({ id: str(d, 'id'), type: str(d, 'eventType') }))
        .filter((d) => d.type === 'topup')
        .map((d) => d.id)[0] ?? '';
    expect(topupDecisionId).toMatch(/^dec_/);
    const draft = await analyst.post('/v1/risk/rules', DRAFT);
    expect(draft.status, draft.text).toBe(201);

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

  it('opens the held transfer’s decision from the stream and the hold, and reads why it was held', async () => {
    await tab.goto(`${base}/decisions`);
    await tab.getByTestId(`decision-link-${heldDecisionId}`).click();
    await tab.waitForURL(new RegExp(`/decisions/${heldDecisionId}$`));
    const explanation = tab.getByTestId('decision-explanation');
    await explanation.waitFor();
    await explanation.locator('li').first().waitFor();
    const lines = await explanation.locator('li').allTextContents();
    expect(lines[0]).toMatch(/^limit LARGE_AMOUNT: 20000\.00 CNY is held/);
    expect(lines[1]).toMatch(
      /^rule impersonation_young_payee v1 → REVIEW \(IMPERSONATION_YOUNG_PAYEE, \+40\) with payee\.accountAgeDays=0/,
    );

    expect(await tab.getByTestId('decision-outcome').textContent()).toBe('Review');
    expect(await tab.getByTestId('decision-reasons').textContent()).toContain('LARGE_AMOUNT');
    const messages = tab.getByTestId('decision-messages');
    expect(await messages.textContent()).toContain('This is held for a short security review');
    expect(await messages.textContent()).toContain('此笔交易需要进行安全审核');
    // The rule that acted first, with its version; every evaluated starter rule is listed.
    const hit = tab.getByTestId('decision-rule-impersonation_young_payee');
    expect(await hit.getAttribute('data-status')).toBe('hit');
    expect(await hit.textContent()).toContain('v1');
    expect(
      await tab.getByTestId('decision-rules').locator('tbody tr').first().getAttribute('data-status'),
    ).toBe('hit');
    expect(await tab.getByTestId('decision-rule-card_testing').getAttribute('data-status')).toBe(
      'notMatched',
    );
    // The features the explanation names are marked, and the search narrows the table.
    expect(await tab.getByTestId('feature-payee.accountAgeDays').getAttribute('data-named')).toBe('true');
    expect(await tab.getByTestId('feature-ip.isProxy').getAttribute('data-named')).toBe('false');
    await tab.getByLabel('Only those named in the explanation').check();
    await expect.poll(() => tab.getByTestId('decision-features').locator('tbody tr').count()).toBe(1);
    await tab.getByLabel('Only those named in the explanation').uncheck();
    await tab.getByLabel('Search features').fill('isProxy');
    await expect.poll(() => tab.getByTestId('decision-features').locator('tbody tr').count()).toBe(1);
    await tab.getByLabel('Search features').fill('');
    await tab.getByText('Nobody has labelled this decision yet.').waitFor();
    await tab.mouse.move(10, 10);
    await tab.evaluate('window.scrollTo(0, 0)');
    await shot(tab, 'decision');

    await tab.goto(`${base}/holds/${holdId}`);
    await tab.getByTestId('open-decision').click();
    await tab.waitForURL(new RegExp(`/decisions/${heldDecisionId}$`));
    await tab.getByTestId('decision-explanation').waitFor();
  });

  it('back-tests the active set over the last 7 days and shows the two sets side by side', async () => {
    await nav(tab).getByRole('link', { name: 'Back-tests' }).click();
    await tab.waitForURL(/\/backtests$/);
    await tab.getByText('No back-test yet.').waitFor();
    expect(await tab.getByLabel('Up to now').isChecked()).toBe(true);
    expect(await tab.getByLabel('The active set', { exact: true }).isChecked()).toBe(true);
    const from = await tab.getByLabel('From').inputValue();
    const days = (Date.now() - new Date(from).getTime()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);

    await startAndFinish();
    // Three decisions in the period: the top-up, the small transfer and the held one, which the rules flag.
    expect(await metric('events', 'baseline')).toBe('3');
    expect(await metric('events', 'candidate')).toBe('3');
    expect(await metric('flagged', 'baseline')).toBe('1');
    expect(await metric('flagged', 'candidate')).toBe('1');
    expect(await metric('held', 'baseline')).toBe('CN¥20,000.00');
    expect(await metric('held', 'candidate')).toBe('CN¥20,000.00');
    expect(await metric('precision', 'baseline')).toBe('—');
    await tab.getByTestId('bt-diff-none').waitFor();
    expect(await tab.getByTestId('bt-rule-impersonation_young_payee@1').textContent()).toContain('1');
    expect(await tab.getByTestId('bt-agreement').textContent()).toContain('3 of 3 agree (100%)');
    await tab.locator('canvas').first().waitFor();
    expect(await tab.getByTestId('bt-outcomes').textContent()).toContain('Top-up');

    await nav(tab).getByRole('link', { name: 'Back-tests' }).click();
    const row = tab.locator('[data-testid^="backtest-row-"]').first();
    await row.getByText('Done').waitFor();
    expect(await row.textContent()).toContain('Active set');
  });

  it('tries a draft version as the candidate: the diff links to the decision it changes', async () => {
    await tab.getByLabel('The active set with chosen versions').check();
    await tab.getByRole('combobox', { name: 'Rule' }).click();
    await tab.getByRole('option', { name: new RegExp(DRAFT.id) }).click();
    expect(await tab.getByRole('combobox', { name: 'Version' }).inputValue()).toBe('v1 · Draft');
    await startAndFinish();
    expect(await metric('flagged', 'baseline')).toBe('1');
    expect(await metric('flagged', 'candidate')).toBe('2');
    expect(await metric('held', 'candidate')).toBe('CN¥70,000.00');
    expect(await tab.getByTestId('bt-metric-held').getByTestId('change').textContent()).toBe('+CN¥50,000.00');
    const diff = tab.getByTestId('bt-diff');
    expect(await diff.textContent()).toContain('Events the candidate decides otherwise: 1.');
    expect(await tab.getByTestId(`bt-rule-${DRAFT.id}@1`).textContent()).toContain('not in this set');
    await tab.mouse.move(10, 10);
    await shot(tab, 'backtest');
    await tab.getByTestId(`bt-decision-${topupDecisionId}`).click();
    await tab.waitForURL(new RegExp(`/decisions/${topupDecisionId}$`));
    expect(await tab.getByTestId('decision-outcome').textContent()).toBe('Allowed');
  });

  it('labels the held transfer as fraud; the label shows and the next back-test counts it', async () => {
    await tab.goto(`${base}/decisions/${heldDecisionId}`);
    const control = tab.getByTestId('label-control');
    await control.getByLabel('Scenario (optional)').fill('Rent Scam');
    await control.getByText('Use 1 to 64 lower-case letters, digits or _.').waitFor();
    await control.getByLabel('Scenario (optional)').fill('rent_scam');
    await control.getByRole('button', { name: 'Fraud', exact: true }).click();
    await tab.getByTestId('label-notice').getByText('Labelled as Fraud.').waitFor();
    const labels = tab.getByTestId('decision-labels');
    await labels.waitFor();
    expect(await labels.textContent()).toContain('Fraud');
    expect(await labels.textContent()).toContain('rent_scam');
    const stored = await new Api(() => bw).asStaff('auditor').get(`/v1/decisions/${heldDecisionId}`);
    expect(stored.body).toMatchObject({ labels: [{ label: 'fraud', scenario: 'rent_scam' }] });

    await tab.goto(`${base}/backtests`);
    await startAndFinish();
    expect(await metric('recall', 'baseline')).toBe('100%');
    expect(await metric('precision', 'candidate')).toBe('100%');
    expect(await tab.getByTestId('bt-scenarios').textContent()).toContain('rent_scam');
  });

  it('says a refused label in words and keeps the labels as they were', async () => {
    await tab.route('**/v1/risk/labels', (route) =>
      route.fulfill({
        status: 403,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'about:blank',
          title: 'Forbidden',
          status: 403,
          code: 'AUTH_FORBIDDEN',
          detail: 'The role analyst lacks risk.label.',
        }),
      }),
    );
    try {
      await tab.goto(`${base}/decisions/${heldDecisionId}`);
      await tab.getByTestId('label-control').getByRole('button', { name: 'Legitimate' }).click();
      const error = tab.getByTestId('label-error');
      await error.waitFor();
      expect(await error.textContent()).toBe('Your role does not allow this.');
      expect(await tab.getByTestId('decision-labels').textContent()).toContain('Fraud');
    } finally {
      await tab.unroute('**/v1/risk/labels');
    }
  });

  it('shows an auditor the decision and the back-tests without the controls to change them', async () => {
    const auditor = await openTabAs(bw, browser, 'auditor');
    try {
      await auditor.tab.goto(`${base}/decisions/${heldDecisionId}`);
      await auditor.tab.getByTestId('decision-explanation').waitFor();
      await auditor.tab.getByText('Your role can read labels but not add them.').waitFor();
      expect(await auditor.tab.getByTestId('label-control').count()).toBe(0);
      await nav(auditor.tab).getByRole('link', { name: 'Back-tests' }).click();
      await auditor.tab.getByText('Your role can read back-tests but not start them.').waitFor();
      await auditor.tab.getByTestId('backtests-table').waitFor();
      expect(await auditor.tab.getByTestId('backtest-form').count()).toBe(0);
    } finally {
      await auditor.context.close();
    }
  });

  it('reads the decision in Chinese', async () => {
    await tab.goto(`${base}/decisions/${heldDecisionId}`);
    await tab.getByTestId('language-switch').getByText('中文').click();
    await tab.getByRole('heading', { name: '决策原因（分析说明）' }).waitFor();
    expect(await tab.getByTestId('decision-outcome').textContent()).toBe('待审');
    await tab.getByTestId('language-switch').getByText('English').click();
  });
});
