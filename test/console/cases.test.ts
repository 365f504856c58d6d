// Alerts and cases end to end in Chromium: an analyst finds a held transfer’s alert in the queue, takes it, opens its case and reads the evidence and the network graph, releases the held money (the timeline says so and the payee is credited), works the case with a note and an attachment, is told when someone else changed the case meanwhile, and closes it as a false positive; a batch of alerts closes from the queue and both dispositions show in the rules’ precision; the pages read in Chinese; an auditor reads everything without a single control.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, arr, at, str } from '../api/client.ts';
import { startBulwark, type TestBulwark } from '../helpers.ts';
import { consoleSkipReason, openConsole, openAs as openTabAs, shot } from './support.ts';

const skipReason = consoleSkipReason('console alerts and cases end-to-end tests');

/** Held for review: over the large-amount line of a tier-2 customer. */
const HELD_MINOR = '2000000'; // ¥20,000.00
const DEVICE = 'dev-e2e-7f3a';
const IP = '203.0.113.7';
const NOTE_FILE = 'call-notes.txt';
const NOTE_TEXT = 'Called the payer at 14:05: the payee is her landlord, deposit for a new flat.\n';

describe.skipIf(skipReason !== null)('alerts and cases in the console', () => {
  let bw: TestBulwark;
  let api: Api;
  let browser: Browser;
  let context: BrowserContext;
  let tab: Page;
  let base = '';
  let payer = { id: '', walletId: '' };
  let payee = { id: '', walletId: '' };
  let holdId = '';
  let alertId = '';
  let caseId = '';
  let otherCaseId = '';
  let otherAlertId = '';
  const nav = (p: Page, name = 'Areas') => p.getByRole('navigation', { name });
  const analyst = () => api.asStaff('analyst');

  /** A transfer held for review, from a device and an address the network view shows. */
  async function heldTransfer(from: string, to: string, amountMinor: string): Promise<string> {
    const res = await api.post('/v1/transfers', {
      fromWalletId: from,
      toWalletId: to,
      amountMinor,
      currency: 'CNY',
      context: { deviceId: DEVICE, ip: IP },
    });
    expect(res.status, res.text).toBe(202);
    return str(res.body, 'holdId');
  }

  async function openAlertOf(subjectId: string): Promise<{ alertId: string; caseId: string }> {
    const q = await analyst().get(`/v1/alerts?subjectId=${subjectId}`);
    expect(q.status, q.text).toBe(200);
    const first = arr(q.body, 'alerts')[0];
    return { alertId: str(first, 'id'), caseId: str(first, 'caseId') };
  }

  beforeAll(async () => {
    bw = await startBulwark({ name: 'pglite' });
    api = new Api(() => bw);
    payer = await api.fundedCustomer('Case Payer', '4500000');
    // A payee account days old: the starter rule on large transfers to young accounts hits too.
    payee = await api.customer('Case Payee', ['CNY'], 2, null);
    const second = await api.fundedCustomer('Second Payer', '4500000');
    const third = await api.fundedCustomer('Third Payer', '4500000');
    holdId = await heldTransfer(payer.walletId, payee.walletId, HELD_MINOR);
    await heldTransfer(second.walletId, payee.walletId, '3500000');
    await heldTransfer(third.walletId, payee.walletId, '2600000');
    await bw.runMaintenance();
    ({ alertId, caseId } = await openAlertOf(payer.id));
    ({ alertId: otherAlertId, caseId: otherCaseId } = await openAlertOf(third.id));

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

  it('lists the held transfer’s alert in the queue, filters it, and lets the analyst take it', async () => {
    await tab.goto(`${base}/overview`);
    await nav(tab).getByRole('link', { name: 'Alerts' }).click();
    await tab.waitForURL(/\/alerts$/);
    await tab.getByRole('heading', { name: 'Alert queue' }).waitFor();
    const row = tab.getByTestId(`alert-row-${alertId}`);
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('Held for review');
    expect(text).toContain('CN¥20,000.00');
    expect(text).toContain('Medium');
    expect(text).toContain('Open');
    expect(text).toContain('Unassigned');
    expect(text).toMatch(/in (1|2) hours?/);
    expect(await row.getAttribute('data-case')).toBe(caseId);
    expect(await tab.locator('[data-testid^="alert-row-"]').count()).toBe(3);
    expect(await tab.getByTestId('pager-range').textContent()).toBe('1–3 of 3');

    // Nothing is critical; every alert here is unassigned.
    await tab.getByTestId('filter-severity').click();
    await tab.getByRole('option', { name: 'Critical' }).click();
    await tab.getByText('No open alert matches these filters.').waitFor();
    expect(new URL(tab.url()).searchParams.get('severity')).toBe('critical');
    await tab.goto(`${base}/alerts?assignee=none`);
    await expect.poll(() => tab.locator('[data-testid^="alert-row-"]').count()).toBe(3);

    await tab.getByTestId(`select-${alertId}`).check();
    expect(await tab.getByTestId('bulk-actions').textContent()).toContain('Selected: 1 · cases: 1');
    // An analyst takes alerts but does not assign them to others.
    expect(await tab.getByTestId('bulk-assign').count()).toBe(0);
    await tab.getByTestId('bulk-take').click();
    await tab.getByTestId('alerts-notice').getByText('Cases now yours: 1.').waitFor();
    await expect.poll(() => tab.locator('[data-testid^="alert-row-"]').count()).toBe(2);
    await tab.getByTestId('filter-assignee').getByText('Me', { exact: true }).click();
    await tab.getByTestId(`alert-row-${alertId}`).getByText('You', { exact: true }).waitFor();
    await tab.getByTestId('filter-assignee').getByText('Anyone', { exact: true }).click();
    await expect.poll(() => tab.locator('[data-testid^="alert-row-"]').count()).toBe(3);
    await tab.getByTestId('alerts-notice').getByRole('button').click();
    // The picture shows the bulk actions armed for one more alert.
    await tab.getByTestId(`select-${otherAlertId}`).check();
    await tab.mouse.move(10, 10);
    await shot(tab, 'alerts');
    await tab.getByTestId(`select-${otherAlertId}`).uncheck();
  });

  it('opens the case with the evidence and the network of the payer, payee, device, address and hold', async () => {
    await tab.getByTestId(`alert-link-${alertId}`).click();
    await tab.waitForURL(new RegExp(`/cases/${caseId}$`));
    await tab.getByRole('heading', { name: 'Risk case' }).waitFor();
    expect(await tab.getByTestId('case-status').first().getAttribute('data-status')).toBe('open');
    expect(await tab.getByTestId('case-assignee').textContent()).toBe('You');
    const evidence = tab.getByTestId(`alert-evidence-${alertId}`);
    await evidence.waitFor();
    expect(await evidence.getByTestId('evidence-reasons').textContent()).toContain('LARGE_AMOUNT');
    expect(await evidence.getByTestId('evidence-rules').textContent()).toContain(
      'impersonation_young_payee v1',
    );
    expect(await evidence.getByTestId('evidence-message').textContent()).toContain('security review');
    expect(await evidence.getByTestId('alert-amount').textContent()).toBe('CN¥20,000.00');
    const decisionHref = await evidence.getByTestId('open-decision').getAttribute('href');
    expect(decisionHref).toMatch(/^\/decisions\/dec_/);

    const graph = tab.getByTestId('case-network');
    await expect.poll(() => graph.getAttribute('data-state')).toBe('ready');
    // Payer, decision, payee, device, address, hold.
    expect(Number(await graph.getAttribute('data-nodes'))).toBe(6);
    expect(Number(await graph.getAttribute('data-edges'))).toBe(5);
    expect(await tab.locator('[data-testid="case-network"] canvas').count()).toBeGreaterThan(0);
    const legend = await tab.getByTestId('network-legend').textContent();
    for (const kind of ['Customer', 'Decision', 'Device', 'IP address', 'Held money'])
      expect(legend).toContain(kind);
    expect(await tab.getByTestId(`entity-device-${DEVICE}`).count()).toBe(1);
    expect(await tab.getByTestId(`entity-customer-${payee.id}`).getByRole('link').getAttribute('href')).toBe(
      `/customers/${payee.id}`,
    );
  });

  it('releases the held money: the timeline records it and the payee is credited', async () => {
    const before = await api.balance(payee.walletId);
    const hold = tab.getByTestId(`case-hold-${holdId}`);
    expect(await hold.getAttribute('data-status')).toBe('pending');
    await tab.getByTestId(`release-${holdId}`).click();
    const dialog = tab.getByRole('dialog');
    await dialog.getByText('Release CN¥20,000.00').waitFor();
    await dialog.getByLabel('Reason').fill('Payer confirmed the payee by phone');
    await dialog.getByRole('button', { name: 'Release' }).click();
    await tab.getByTestId('case-notice').getByText('Released: the money went through.').waitFor();
    await expect.poll(() => hold.getAttribute('data-status')).toBe('posted');
    expect(await tab.getByTestId(`release-${holdId}`).count()).toBe(0);
    const released = tab.locator('[data-testid="timeline-event"][data-type="hold.released"]');
    await released.waitFor();
    expect(await released.textContent()).toContain('Reason: Payer confirmed the payee by phone');
    expect(await released.textContent()).toContain('You');
    const after = await api.balance(payee.walletId);
    expect(after.posted - before.posted).toBe(2_000_000n);
    await tab.getByRole('dialog').waitFor({ state: 'hidden' });
    await tab.getByTestId('case-notice').getByRole('button').click();
    // A taller window for the picture: the evidence and the network graph fit in it.
    await tab.setViewportSize({ width: 1366, height: 1480 });
    await expect.poll(() => tab.getByTestId('case-network').getAttribute('data-state')).toBe('ready');
    await tab.mouse.move(10, 10);
    await tab.evaluate('window.scrollTo(0, 0)');
    await shot(tab, 'case');
    await tab.setViewportSize({ width: 1366, height: 860 });
  });

  it('keeps a note and a file with its SHA-256, and hands the file back', async () => {
    await tab.getByTestId('note-text').fill('Landlord deposit; the payee is known to the payer.');
    await tab.getByRole('button', { name: 'Add note' }).click();
    await tab.getByTestId('case-notice').getByText('The note is on the timeline.').waitFor();
    await tab
      .getByTestId('case-note')
      .getByText('Landlord deposit; the payee is known to the payer.')
      .waitFor();

    await tab
      .locator('input[type="file"]')
      .setInputFiles({ name: NOTE_FILE, mimeType: 'text/plain', buffer: Buffer.from(NOTE_TEXT) });
    await tab.getByRole('button', { name: 'Upload' }).click();
    await tab.getByTestId('case-notice').getByText(`${NOTE_FILE} is attached.`).waitFor();
    const sha = createHash('sha256').update(NOTE_TEXT).digest('hex');
    const attachment = tab.locator('[data-testid^="attachment-att_"]');
    await attachment.waitFor();
    expect(await attachment.getByTestId('attachment-sha256').textContent()).toBe(
      `SHA-256 ${sha.slice(0, 16)}…`,
    );
    const [download] = await Promise.all([
      tab.waitForEvent('download'),
      attachment.getByRole('button', { name: `Download ${NOTE_FILE}` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(NOTE_FILE);
    expect(await readFile(await download.path(), 'utf8')).toBe(NOTE_TEXT);
  });

  it('says so when someone else changed the case meanwhile, and reloads it', async () => {
    const version = Number(await tab.getByTestId('case-workspace').getAttribute('data-version'));
    const meanwhile = await api
      .asStaff('compliance')
      .post(`/v1/cases/${caseId}/notes`, { text: 'Supervisor: checked the landlord contract.' });
    expect(meanwhile.status, meanwhile.text).toBe(200);

    await tab.getByTestId('case-move-investigating').click();
    const dialog = tab.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Start investigating' }).click();
    await dialog
      .getByTestId('dialog-error')
      .getByText('Someone else changed this case since you opened it. Reload it and try again.', {
        exact: false,
      })
      .waitFor();
    await expect
      .poll(() => tab.getByTestId('case-workspace').getAttribute('data-version'))
      .toBe(String(version + 1));
    await tab.getByTestId('case-note').getByText('Supervisor: checked the landlord contract.').waitFor();
    // The same dialog now sends the version it shows.
    await dialog.getByRole('button', { name: 'Start investigating' }).click();
    await tab.getByTestId('case-notice').getByText('The case is now “Investigating”.').waitFor();
    expect(await tab.getByTestId('case-status').first().getAttribute('data-status')).toBe('investigating');
  });

  it('closes the case as a false positive: the decision is labelled legitimate', async () => {
    await tab.getByTestId('case-move-closed').click();
    const dialog = tab.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Close the case' }).click();
    await dialog.getByText('Choose a disposition.').first().waitFor();
    await dialog.getByTestId('move-disposition').click();
    await tab.getByRole('option', { name: 'False positive' }).click();
    await dialog.getByLabel('Note').fill('Landlord deposit, confirmed by the payer.');
    await dialog.getByRole('button', { name: 'Close the case' }).click();
    await tab.getByTestId('case-notice').getByText('The case is now “Closed”.').waitFor();
    expect(await tab.getByTestId('case-status').first().getAttribute('data-status')).toBe('closed');
    expect(await tab.getByTestId('case-disposition').textContent()).toBe('False positive');
    await tab.locator('[data-testid="timeline-event"][data-type="case.labelled"]').waitFor();
    // Closed: only reopening is offered.
    expect(await tab.getByTestId('case-move-investigating').textContent()).toBe('Reopen');
    expect(await tab.getByTestId('note-text').count()).toBe(0);
    const c = await analyst().get(`/v1/cases/${caseId}`);
    expect(at(c.body, 'status')).toBe('closed');
    expect(at(c.body, 'disposition')).toBe('false_positive');
  });

  it('closes a batch of alerts’ cases as false positives from the queue', async () => {
    await nav(tab).getByRole('link', { name: 'Alerts' }).click();
    await tab.getByTestId(`alert-row-${otherAlertId}`).waitFor();
    // The closed case's alert leaves the queue once the list is read again.
    await expect.poll(() => tab.getByTestId(`alert-row-${alertId}`).count()).toBe(0);
    await tab.getByTestId(`select-${otherAlertId}`).check();
    await tab.getByTestId('bulk-close').click();
    const dialog = tab.getByRole('dialog');
    await dialog.getByText('Close as false positive (cases: 1)').waitFor();
    await dialog.getByLabel('Reason').fill('Same landlord, same month: deposits.');
    await dialog.getByRole('button', { name: 'Close as false positive' }).click();
    await tab.getByTestId('alerts-notice').getByText('Cases closed as false positive: 1.').waitFor();
    await expect.poll(() => tab.locator('[data-testid^="alert-row-"]').count()).toBe(1);
    const other = await analyst().get(`/v1/cases/${otherCaseId}`);
    expect(at(other.body, 'disposition')).toBe('false_positive');

    // Both dispositions reach the rule's precision: its hits were legitimate (误判).
    await nav(tab).getByRole('link', { name: 'Rules' }).click();
    const precision = tab.getByTestId('rule-precision-impersonation_young_payee');
    await precision.waitFor();
    const cells = await precision.getByRole('cell').allTextContents();
    expect(cells.slice(1, 5)).toEqual(['0%', '0', '2', '2']);
  });

  it('reads the alert, case and reserve pages in Chinese', async () => {
    await tab.goto(`${base}/cases/${caseId}`);
    await tab.getByTestId('case-workspace').waitFor();
    await tab.getByTestId('language-switch').getByText('中文').click();
    await tab.getByRole('heading', { name: '风险案件' }).waitFor();
    await tab.getByRole('heading', { name: '关系网络' }).waitFor();
    await tab.getByRole('heading', { name: '处理记录' }).waitFor();
    await tab.getByRole('heading', { name: '待审资金' }).waitFor();
    expect(await tab.getByTestId('case-status').first().textContent()).toBe('已结案');
    expect(await tab.getByTestId('case-disposition').textContent()).toBe('误判');
    expect(await tab.getByTestId('network-legend').textContent()).toContain('设备');
    await nav(tab, '功能区').getByRole('link', { name: '预警' }).click();
    await tab.getByRole('heading', { name: '预警队列' }).waitFor();
    const row = tab.locator('[data-testid^="alert-row-"]').first();
    await row.waitFor();
    expect(await row.textContent()).toContain('待审核');
    expect(await row.textContent()).toContain('未分配');
    await nav(tab, '功能区').getByRole('link', { name: '风险补偿金' }).click();
    await tab.getByRole('heading', { name: '风险补偿金' }).waitFor();
    await tab.getByText('补偿金尚无余额，此期间也没有资金变动。').waitFor();
    await tab.getByTestId('language-switch').getByText('English').click();
    await tab.getByRole('heading', { name: 'Risk compensation reserve' }).waitFor();
  });

  it('shows an auditor the queue, the case and the reserve without a single control', async () => {
    const auditor = await openTabAs(bw, browser, 'auditor');
    try {
      const p = auditor.tab;
      await p.goto(`${base}/overview`);
      await nav(p).getByRole('link', { name: 'Alerts' }).click();
      await p.locator('[data-testid^="alert-row-"]').first().waitFor();
      expect(await p.getByTestId('bulk-actions').count()).toBe(0);
      expect(await p.locator('[data-testid^="select-"]').count()).toBe(0);

      await p.goto(`${base}/cases/${otherCaseId}`);
      await p
        .getByTestId('case-read-only')
        .getByText('Your role can read cases but not work them.')
        .waitFor();
      await p.getByTestId('case-timeline').waitFor();
      for (const testId of [
        'case-take',
        'case-assign-auto',
        'case-moves',
        'case-freeze',
        'case-unfreeze',
        'case-record-loss',
        'case-compensate',
        'note-text',
      ]) {
        expect(await p.getByTestId(testId).count(), testId).toBe(0);
      }
      expect(await p.locator('[data-testid^="release-"], [data-testid^="reject-"]').count()).toBe(0);
      expect(await p.getByRole('button', { name: 'Upload' }).count()).toBe(0);
      expect(await p.getByRole('button', { name: 'Link' }).count()).toBe(0);

      await nav(p).getByRole('link', { name: 'Risk reserve' }).click();
      await p.getByRole('heading', { name: 'Risk compensation reserve' }).waitFor();
      expect(await p.getByTestId('reserve-fund').count()).toBe(0);
    } finally {
      await auditor.context.close();
    }
  });
});
