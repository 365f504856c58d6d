// Disputes, feedback and notifications end to end in Chromium: a customer's payment dispute (with evidence and a provisional credit) and feedback arrive through the API; an analyst finds the dispute in the queue, downloads the evidence, upholds it with a reason in English and Chinese and sees it decided, the merchant refund made and the credit taken back (the customer is paid once); the analyst's inbox shows the case assigned to them; a support user, who cannot decide disputes, answers the feedback, closes it and sees the rating and the summary; an operator reads the API-created webhook endpoint's delivery log, redelivers a call (the receiver gets the same delivery id again), adds an endpoint whose secret is shown once and disables it, and reads the masked mailbox; an auditor sees it all without a control; the pages read in Chinese.
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../src/access/permissions.ts';
import { Api, arr, at, str } from '../api/client.ts';
import { staffSession, startBulwark, type TestBulwark } from '../helpers.ts';
import { createEndpoint, customerWithEmail, Receiver } from '../notify/support.ts';
import { asCustomer, pay } from '../support/helpers.ts';
import { consoleSkipReason, openConsole, openAs as openTabAs, shot } from './support.ts';

const skipReason = consoleSkipReason('console disputes, feedback and notifications end-to-end tests');

const TOPUP_MINOR = '1000000'; // ¥10,000.00
const PAID_MINOR = '12345'; // ¥123.45, disputed with a provisional credit
const EVIDENCE_FILE = 'courier-receipt.txt';
const EVIDENCE_TEXT = 'Courier SF-88231: parcel returned to sender on 14 Nov, never delivered.\n';
const REASON_EN = 'The merchant could not show that the tea set was delivered.';
const REASON_ZH = '商户无法证明茶具已送达。';
const FEEDBACK_SUBJECT = 'Charged twice for one order';
const ANSWER =
  'We found the second charge and asked the merchant to refund it; you will see it within 3 days.';

describe.skipIf(skipReason !== null)('disputes, feedback and notifications in the console', () => {
  let bw: TestBulwark;
  let api: Api;
  let browser: Browser;
  let base = '';
  let receiver: Receiver;
  let ops = '';
  let analyst = { id: '', auth: '' };
  let tab: Page;
  let context: BrowserContext;
  let alice = { id: '', walletId: '' };
  let li = { id: '', email: '', auth: '' };
  let disputeId = '';
  let caseId = '';
  let otherDisputeId = '';
  let feedbackId = '';
  let endpointId = '';
  const nav = (p: Page, name = 'Areas') => p.getByRole('navigation', { name });

  /** A tab signed in as this staff user, restored from the tab's refresh token as after a reload. */
  async function tabFor(staffId: string, role: StaffRole): Promise<{ context: BrowserContext; tab: Page }> {
    const session = await bw.dbHandle.db
      .transaction()
      .execute((tx) => bw.sessions.start(tx, { type: 'staff', id: staffId, role, amr: ['pwd', 'otp'] }, {}));
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'en-US' });
    const key = JSON.stringify('bulwark.console.refreshToken');
    await ctx.addInitScript({
      content: `if (!sessionStorage.getItem(${key})) sessionStorage.setItem(${key}, ${JSON.stringify(session.pair.refreshToken)});`,
    });
    const p = await ctx.newPage();
    p.setDefaultTimeout(15_000);
    return { context: ctx, tab: p };
  }

  /** Hands the outbox to the notify module and sends what is due (the test process runs no background jobs). */
  async function notifyNow(): Promise<void> {
    await bw.relay.drain();
    await bw.notify.deliverDue();
  }

  beforeAll(async () => {
    bw = await startBulwark({ name: 'pglite' });
    api = new Api(() => bw);
    receiver = await new Receiver().start();
    ops = await bw.staffAuth('operations');
    endpointId = (
      await createEndpoint(bw, ops, {
        url: `${receiver.url}/bulwark`,
        topics: ['support.dispute.', 'cases.case.assigned'],
        description: 'Risk desk',
      })
    ).id;

    // A tea shop with fees large enough to fund the reserve that pays provisional credits.
    const shop = await api.merchant('Tea House', 1000);
    const whale = await api.fundedCustomer('Whale', '2000000');
    await pay(api, whale.walletId, shop.id, '1500000');
    await bw.reserve.fund({
      currency: 'CNY',
      amountMinor: 100_000n,
      source: 'revenue',
      reason: 'reserve for the console test',
      actor: { type: 'system', id: 'test' },
    });

    alice = await api.fundedCustomer('Alice Zhao', TOPUP_MINOR);
    const paid = await pay(api, alice.walletId, shop.id, PAID_MINOR);
    const asAlice = asCustomer(() => bw, alice.id);
    const opened = await asAlice.post('/v1/disputes', {
      entryId: paid,
      reason: 'not_received',
      description: 'The tea set never arrived; the seller stopped answering my messages.',
      provisionalCredit: true,
    });
    expect(opened.status, opened.text).toBe(201);
    disputeId = str(opened.body, 'id');
    expect(str(opened.body, 'provisionalCredit', 'status')).toBe('paid');
    const evidence = await asAlice.post(`/v1/disputes/${disputeId}/attachments`, {
      filename: EVIDENCE_FILE,
      contentBase64: Buffer.from(EVIDENCE_TEXT).toString('base64'),
    });
    expect(evidence.status, evidence.text).toBe(201);
    const twice = await pay(api, alice.walletId, shop.id, '8800');
    const other = await asAlice.post('/v1/disputes', {
      entryId: twice,
      reason: 'duplicate',
      description: 'The same order was charged a second time.',
    });
    expect(other.status, other.text).toBe(201);
    otherDisputeId = str(other.body, 'id');

    // Feedback from a customer with an e-mail address on file: the answer also goes out by e-mail.
    li = await customerWithEmail(bw, 'Li');
    const written = await api.as(li.auth).post('/v1/feedback', {
      category: 'payment_problem',
      subject: FEEDBACK_SUBJECT,
      message: 'My order 5521 was charged twice this morning. Please refund the second charge.',
    });
    expect(written.status, written.text).toBe(201);
    feedbackId = str(written.body, 'id');

    // The dispute's case is assigned to the analyst by a supervisor: the analyst's inbox hears of it.
    analyst = await staffSession(bw, 'analyst');
    const view = await api.as(analyst.auth).get(`/v1/staff/disputes/${disputeId}`);
    caseId = str(view.body, 'caseId');
    const assigned = await api
      .asStaff('compliance')
      .post('/v1/cases/assign', { caseIds: [caseId], to: analyst.id });
    expect(assigned.status, assigned.text).toBe(200);
    await notifyNow();

    let page: Page;
    ({ base, browser, page } = await openConsole(bw));
    await page.close();
    ({ context, tab } = await tabFor(analyst.id, 'analyst'));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await receiver?.stop();
    await bw?.drop();
  });

  it('lists the dispute in the queue with its amount, credit, deadline and case', async () => {
    await tab.goto(`${base}/overview`);
    await nav(tab).getByRole('link', { name: 'Disputes' }).click();
    await tab.waitForURL(/\/disputes$/);
    await tab.getByRole('heading', { name: 'Disputes' }).waitFor();
    const row = tab.getByTestId(`dispute-row-${disputeId}`);
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('Goods or service not received');
    expect(text).toContain('CN¥123.45');
    expect(text).toContain('Paid');
    expect(text).toContain('Awaiting decision');
    expect(text).toContain('in 7 days');
    expect(await row.getAttribute('data-overdue')).toBe('false');
    expect(await row.getByRole('link', { name: /Open the case/ }).getAttribute('href')).toBe(
      `/cases/${caseId}`,
    );
    expect(await tab.locator('[data-testid^="dispute-row-"]').count()).toBe(2);
    expect(await tab.getByTestId(`dispute-row-${otherDisputeId}`).textContent()).toContain('Not asked');

    // Nothing is late: the overdue filter empties the queue, and it stays in the address.
    await tab.getByTestId('filter-overdue').click();
    await tab.getByText('No dispute matches these filters.').waitFor();
    expect(new URL(tab.url()).searchParams.get('overdue')).toBe('true');
    await tab.getByTestId('filter-overdue').click();
    await row.waitFor();
  });

  it('opens the dispute with the user’s words, the evidence file and the provisional credit', async () => {
    await tab.getByTestId(`dispute-link-${disputeId}`).click();
    await tab.waitForURL(new RegExp(`/disputes/${disputeId}$`));
    await tab.getByRole('heading', { name: 'Dispute: Goods or service not received' }).waitFor();
    expect(await tab.getByTestId('dispute-description').textContent()).toContain('The tea set never arrived');
    expect(await tab.getByTestId('dispute-amount').textContent()).toBe('CN¥123.45');
    expect(await tab.getByTestId('provisional').getAttribute('data-status')).toBe('paid');
    expect(await tab.getByTestId('dispute-case-link').getAttribute('href')).toBe(`/cases/${caseId}`);
    const file = tab.locator('[data-testid^="evidence-att_"]');
    await file.waitFor();
    const [download] = await Promise.all([
      tab.waitForEvent('download'),
      file.getByRole('button', { name: `Download ${EVIDENCE_FILE}` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(EVIDENCE_FILE);
    expect(await readFile(await download.path(), 'utf8')).toBe(EVIDENCE_TEXT);
  });

  it('upholds it with a reason in both languages: refunded by the merchant, the credit taken back', async () => {
    await tab.getByTestId('dispute-uphold').click();
    const dialog = tab.getByRole('dialog');
    await dialog.getByText('Uphold the dispute (CN¥123.45)').waitFor();
    expect(await dialog.getByTestId('decision-refund-input').inputValue()).toBe('123.45');
    await dialog.getByRole('button', { name: 'Uphold' }).click();
    await dialog.getByText('Write the reason the user is shown, in English, Chinese or both.').waitFor();
    await dialog.getByTestId('decision-refund-input').fill('200');
    await dialog.getByTestId('decision-reason-en-input').fill(REASON_EN);
    await dialog.getByTestId('decision-reason-zh-input').fill(REASON_ZH);
    await dialog.getByRole('button', { name: 'Uphold' }).click();
    await dialog.getByText('The refund cannot be more than the disputed CN¥123.45.').waitFor();
    await dialog.getByTestId('decision-refund-input').fill('123.45');
    await dialog.getByRole('button', { name: 'Uphold' }).click();

    await tab
      .getByTestId('dispute-notice')
      .getByText('The dispute is decided: Upheld. The user has been told.')
      .waitFor();
    await dialog.waitFor({ state: 'hidden' });
    const decision = tab.getByTestId('dispute-decision');
    expect(await decision.getAttribute('data-outcome')).toBe('upheld');
    expect(await decision.getByTestId('decision-reason-en').textContent()).toBe(REASON_EN);
    expect(await decision.getByTestId('decision-reason-zh').textContent()).toBe(REASON_ZH);
    expect(await decision.getByTestId('decision-refund').textContent()).toContain(
      'Refunded from the merchant: CN¥123.45',
    );
    expect(await decision.textContent()).toContain('You');
    expect(await tab.getByTestId('dispute-status').getAttribute('data-status')).toBe('decided');
    expect(await tab.getByTestId('provisional').textContent()).toBe('Taken back');
    expect(await tab.getByTestId('dispute-uphold').count()).toBe(0);

    // Refunded once: the credit came back out when the merchant's refund went in.
    expect((await api.balance(alice.walletId)).posted).toBe(BigInt(TOPUP_MINOR) - 8800n);
    const stored = await api.as(analyst.auth).get(`/v1/staff/disputes/${disputeId}`);
    expect(at(stored.body, 'decision', 'reason')).toEqual({ en: REASON_EN, 'zh-CN': REASON_ZH });

    await tab.setViewportSize({ width: 1366, height: 1100 });
    await tab.mouse.move(10, 10);
    await tab.evaluate('window.scrollTo(0, 0)');
    await shot(tab, 'disputes');
    await tab.setViewportSize({ width: 1366, height: 860 });

    // Decided disputes leave the default queue and show under their status.
    await tab.getByRole('link', { name: 'Dispute queue' }).click();
    await tab.getByTestId(`dispute-row-${otherDisputeId}`).waitFor();
    await expect.poll(() => tab.getByTestId(`dispute-row-${disputeId}`).count()).toBe(0);
    await tab.goto(`${base}/disputes?status=decided`);
    await tab.getByTestId(`dispute-row-${disputeId}`).getByText('Decided').waitFor();
  });

  it('shows the case assigned to the analyst in the inbox, and marks it read on opening', async () => {
    const bell = tab.getByTestId('inbox-bell');
    await expect.poll(() => bell.getAttribute('data-unread')).toBe('1');
    await bell.click();
    const drawer = tab.getByRole('dialog', { name: 'Your notifications' });
    const item = drawer.locator('[data-testid^="inbox-item-"][data-topic="cases.case.assigned"]');
    await item.waitFor();
    expect(await item.textContent()).toContain('A case was assigned to you');
    expect(await item.textContent()).toContain(caseId);
    expect(await item.getAttribute('data-read')).toBe('false');
    await item.getByRole('link', { name: 'Open the case' }).click();
    await tab.waitForURL(new RegExp(`/cases/${caseId}$`));
    await tab.getByTestId('case-workspace').waitFor();
    await expect.poll(() => bell.getAttribute('data-unread')).toBe('0');
    const inbox = await api.as(analyst.auth).get('/v1/staff/me/notifications');
    expect(at(inbox.body, 'unreadCount')).toBe(0);
  });

  it('lets a support user answer the feedback and close it, but not decide a dispute', async () => {
    const support = await openTabAs(bw, browser, 'support');
    const p = support.tab;
    try {
      await p.goto(`${base}/disputes/${otherDisputeId}`);
      await p
        .getByTestId('dispute-read-only')
        .getByText('Your role can read disputes but not decide them.')
        .waitFor();
      expect(await p.getByTestId('dispute-uphold').count()).toBe(0);
      expect(await p.getByTestId('dispute-reject').count()).toBe(0);

      await nav(p).getByRole('link', { name: 'Feedback' }).click();
      await p.getByRole('heading', { name: 'Feedback and complaints' }).waitFor();
      await p.getByTestId('summary-total').getByText('1', { exact: true }).waitFor();
      const row = p.getByTestId(`feedback-row-${feedbackId}`);
      await row.waitFor();
      const text = await row.textContent();
      expect(text).toContain('Payment problem');
      expect(text).toContain(FEEDBACK_SUBJECT);
      expect(text).toContain('Awaiting answer');
      expect(text).toMatch(/in 2[34] hours/);

      await p.getByTestId(`feedback-link-${feedbackId}`).click();
      await p.waitForURL(new RegExp(`/feedback/${feedbackId}$`));
      await p.getByRole('heading', { name: FEEDBACK_SUBJECT }).waitFor();
      expect(
        await p.locator('[data-testid="feedback-message"][data-from="customer"]').textContent(),
      ).toContain('My order 5521 was charged twice');
      await p.getByTestId('feedback-reply-text').fill(ANSWER);
      await p.getByTestId('feedback-send').click();
      await p.getByTestId('feedback-notice').getByText('Your answer was sent to the user.').waitFor();
      const answer = p.locator('[data-testid="feedback-message"][data-from="staff"]');
      await answer.waitFor();
      expect(await answer.textContent()).toContain(ANSWER);
      expect(await p.getByTestId('feedback-status').getAttribute('data-status')).toBe('answered');
      expect(await p.getByTestId('first-response').textContent()).toMatch(/^Answered /);

      await p.getByTestId('feedback-close').click();
      const dialog = p.getByRole('dialog');
      await dialog.getByText('Close the feedback').waitFor();
      await dialog.locator('button[type="submit"]').click();
      await p
        .getByTestId('feedback-notice')
        .getByText('The feedback is closed. The user can now rate it.')
        .waitFor();
      expect(await p.getByTestId('feedback-status').getAttribute('data-status')).toBe('closed');
      expect(await p.getByTestId('feedback-reply-text').count()).toBe(0);
      await p.getByTestId('feedback-rating-none').getByText('The user has not rated it yet.').waitFor();

      // The user rates it; the page shows the rating once read again.
      const rated = await api.as(li.auth).post(`/v1/feedback/${feedbackId}/rating`, {
        score: 5,
        comment: 'Quick and clear, thank you.',
      });
      expect(rated.status, rated.text).toBe(200);
      await p.reload();
      const rating = p.getByTestId('feedback-rating');
      await rating.waitFor();
      expect(await rating.getAttribute('data-score')).toBe('5');
      expect(await rating.textContent()).toContain('Quick and clear, thank you.');

      await p.getByRole('link', { name: 'Feedback queue' }).click();
      await p.getByText('No feedback awaits an answer.').waitFor();
      await p.getByTestId('filter-status').click();
      await p.getByRole('option', { name: 'Closed' }).click();
      await p.getByTestId(`feedback-row-${feedbackId}`).waitFor();
      expect(new URL(p.url()).searchParams.get('status')).toBe('closed');
      await p.getByTestId('summary-within').getByText('100%').waitFor();
      await p.getByTestId('summary-rating').getByText('5 / 5').waitFor();
      await p.getByTestId('feedback-summary').locator('canvas').first().waitFor();
      // A taller window for the picture: the summary and the queue fit in it.
      await p.setViewportSize({ width: 1366, height: 1180 });
      await p.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
      await p.mouse.move(10, 10);
      await shot(p, 'feedback');
    } finally {
      await support.context.close();
    }
  });

  it('shows an operator the API-created endpoint’s delivery log and redelivers a call', async () => {
    await notifyNow();
    const operator = await openTabAs(bw, browser, 'operations');
    const p = operator.tab;
    try {
      await p.goto(`${base}/overview`);
      await nav(p).getByRole('link', { name: 'Outbound notifications' }).click();
      await p.getByRole('heading', { name: 'Outbound notifications' }).waitFor();
      const endpoint = p.getByTestId(`webhook-${endpointId}`);
      await endpoint.waitFor();
      expect(await endpoint.getByTestId('webhook-url').textContent()).toBe(`${receiver.url}/bulwark`);
      expect(await endpoint.textContent()).toContain('Risk desk');
      expect(await endpoint.textContent()).toContain('Enabled');

      const log = await api.as(ops).get(`/v1/notify/webhooks/${endpointId}/deliveries`);
      const opened = arr(log.body, 'deliveries').find((d) => at(d, 'topic') === 'support.dispute.opened');
      const deliveryId = str(opened, 'id');
      const row = p.getByTestId(`delivery-${deliveryId}`);
      await row.waitFor();
      expect(await row.getAttribute('data-status')).toBe('delivered');
      expect(await row.getByTestId('delivery-code').textContent()).toBe('200');
      expect(await row.getByTestId('delivery-attempts').textContent()).toBe('1 of 12');
      await p.getByTestId(`delivery-toggle-${deliveryId}`).click();
      const attempts = p.getByTestId(`attempts-${deliveryId}`);
      await attempts.waitFor();
      expect(await attempts.textContent()).toContain('Delivered');
      expect(
        await p.locator('[data-testid="deliveries-table"] [data-testid="delivery-status"]').count(),
      ).toBeGreaterThanOrEqual(3);

      await p.getByTestId(`redeliver-${deliveryId}`).click();
      await p
        .getByTestId('deliveries-notice')
        .getByText(`${deliveryId} is queued to be sent once more`, { exact: false })
        .waitFor();
      await expect.poll(() => row.getAttribute('data-status')).toBe('pending');
      await bw.notify.deliverDue();
      expect(receiver.countByDelivery().get(deliveryId)).toBe(2);
    } finally {
      await operator.context.close();
    }
  });

  it('adds an endpoint whose secret is shown once, disables it, and reads the masked mailbox', async () => {
    const operator = await openTabAs(bw, browser, 'operations');
    const p = operator.tab;
    try {
      await p.goto(`${base}/notifications`);
      await p.getByTestId(`webhook-${endpointId}`).waitFor();
      await p.getByTestId('webhook-add').click();
      const dialog = p.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Add endpoint' }).click();
      await dialog.getByText('Enter an http or https URL.').waitFor();
      await dialog.getByText('Choose at least one topic.').waitFor();
      await dialog.getByTestId('webhook-url-input').fill(`${receiver.url}/feedback`);
      await dialog.getByTestId('webhook-topics-input').click();
      await p.getByRole('option', { name: 'support.feedback.', exact: true }).click();
      await dialog.getByTestId('webhook-description-input').fill('Customer care desk');
      await dialog.getByRole('button', { name: 'Add endpoint' }).click();

      const secretDialog = p.getByRole('dialog', { name: 'The endpoint’s signing secret' });
      await secretDialog.getByText('Shown once').waitFor();
      const secret = await secretDialog.getByTestId('webhook-secret').textContent();
      expect(secret).toMatch(/^whsec_/);
      await secretDialog.getByTestId('webhook-secret-done').click();
      await secretDialog.waitFor({ state: 'hidden' });
      // Never shown again: not on the page, not in the list.
      expect(await p.getByText(secret ?? 'whsec_').count()).toBe(0);
      const list = await api.as(ops).get('/v1/notify/webhooks');
      const created = arr(list.body, 'webhooks').find((w) => at(w, 'url') === `${receiver.url}/feedback`);
      const createdId = str(created, 'id');
      expect(JSON.stringify(list.body)).not.toContain(secret);
      expect(at(created, 'topics')).toEqual(['support.feedback.']);

      const row = p.getByTestId(`webhook-${createdId}`);
      await row.waitFor();
      await row.getByTestId(`webhook-disable-${createdId}`).click();
      const confirm = p.getByRole('dialog');
      await confirm.getByText('Disable the endpoint').waitFor();
      await confirm.getByRole('button', { name: 'Disable' }).click();
      await p.getByTestId('webhooks-notice').getByText(`${receiver.url}/feedback is disabled.`).waitFor();
      await expect.poll(() => row.getAttribute('data-enabled')).toBe('false');
      expect(at((await api.as(ops).get(`/v1/notify/webhooks/${createdId}`)).body, 'enabled')).toBe(false);

      await p.getByTestId('tab-mailbox').click();
      await p.getByTestId('mailer').getByText('No SMTP server is configured', { exact: false }).waitFor();
      const email = p.locator('[data-testid^="email-eml_"]').first();
      await email.waitFor();
      const masked = await email.getByTestId('email-to').textContent();
      expect(masked).toMatch(/^l\*+@example\.test$/);
      expect(masked).not.toBe(li.email);
      expect(await email.textContent()).toContain('We answered your feedback');
      expect(await p.getByText(li.email).count()).toBe(0);
      await email.getByRole('button', { name: 'Read' }).click();
      expect(await p.getByTestId('email-text').textContent()).toContain(
        'Our team has replied to your feedback',
      );
    } finally {
      await operator.context.close();
    }
  });

  it('shows an auditor the outbound page and the dispute without a single control', async () => {
    const auditor = await openTabAs(bw, browser, 'auditor');
    const p = auditor.tab;
    try {
      await p.goto(`${base}/notifications`);
      await p.getByTestId(`webhook-${endpointId}`).waitFor();
      await p.locator('[data-testid^="delivery-dlv_"]').first().waitFor();
      for (const selector of [
        '[data-testid="webhook-add"]',
        '[data-testid^="webhook-disable-"]',
        '[data-testid^="webhook-rotate-"]',
        '[data-testid^="redeliver-"]',
      ]) {
        expect(await p.locator(selector).count(), selector).toBe(0);
      }
      await p.goto(`${base}/disputes/${otherDisputeId}`);
      await p.getByTestId('dispute-read-only').waitFor();
      expect(await p.getByTestId('dispute-actions').count()).toBe(0);
    } finally {
      await auditor.context.close();
    }
  });

  it('reads the dispute, feedback and inbox in Chinese', async () => {
    await tab.goto(`${base}/disputes/${disputeId}`);
    await tab.getByTestId('dispute-decision').waitFor();
    await tab.getByTestId('language-switch').getByText('中文').click();
    await tab.getByRole('heading', { name: '争议：未收到商品或服务' }).waitFor();
    expect(await tab.getByTestId('dispute-status').textContent()).toBe('已处理');
    expect(await tab.getByTestId('dispute-outcome').textContent()).toBe('支持');
    expect(await tab.getByTestId('provisional').textContent()).toBe('已收回');
    await tab.getByRole('heading', { name: '证据文件（1）' }).waitFor();
    const areas = await nav(tab, '功能区').getByRole('link').allTextContents();
    expect(areas.slice(3, 7)).toEqual(['预警', '案件', '争议', '意见反馈']);

    await nav(tab, '功能区').getByRole('link', { name: '意见反馈' }).click();
    await tab.getByRole('heading', { name: '意见反馈与投诉' }).waitFor();
    await tab.getByTestId('feedback-summary').getByText('反馈处理情况').waitFor();
    await tab.getByText('没有待答复的反馈。').waitFor();

    await tab.getByTestId('inbox-bell').click();
    const drawer = tab.getByRole('dialog', { name: '我的通知' });
    await drawer.getByText('有案件分配给您').waitFor();
    await drawer.getByRole('link', { name: '打开案件' }).waitFor();
    await tab.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });
    await tab.getByTestId('language-switch').getByText('English').click();
    await tab.getByRole('heading', { name: 'Feedback and complaints' }).waitFor();
  });
});
