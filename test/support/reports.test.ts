// Proves self-service protection and customer education: a scam report freezes outgoing payments in the same step that opens a critical risk case (a second report joins it), answers what happened and what to do next in both languages, and cannot name another customer's transaction; the daily limit of reports holds when they arrive at once; tips and answers are served in English and Chinese, chosen by query or Accept-Language, and every starter rule's reason code has tips.
import { beforeAll, describe, expect, it } from 'vitest';
import { STARTER_RULES } from '../../src/risk/rules/starter.ts';
import { FAQ, languageOf, TIPS, tipsFor } from '../../src/support/education.ts';
import { LIMITS } from '../../src/support/model.ts';
import { Api, arr, at, expectProblem, str } from '../api/client.ts';
import { DATABASES, useBulwark } from '../helpers.ts';
import { asCustomer } from './helpers.ts';

describe('education content', () => {
  it('has every tip and answer in both languages', () => {
    for (const t of TIPS) {
      expect(
        t.title.en.length * t.title['zh-CN'].length * t.body.en.length * t.body['zh-CN'].length,
        t.id,
      ).toBeGreaterThan(0);
      expect(t.body['zh-CN'], t.id).toMatch(/[\u4e00-\u9fff]/);
    }
    for (const f of FAQ) expect(f.answer['zh-CN'], f.id).toMatch(/[\u4e00-\u9fff]/);
  });

  it('gives tips for every starter rule reason code, fitting ones first, none for unknown codes', () => {
    for (const rule of STARTER_RULES)
      expect(tipsFor([rule.reasonCode]).length, rule.reasonCode).toBeGreaterThan(0);
    expect(tipsFor(['PHISHING_NEW_PAYEE_NIGHT']).map((t) => t.id)).toEqual([
      'online_romance_investment',
      'phishing_links',
      'check_before_large_transfer',
    ]);
    // Shared tips are not repeated and a decision carries at most three.
    const many = tipsFor(['ATO_NEW_DEVICE_WITHDRAWAL', 'SENSITIVE_CHANGE_NEW_DEVICE', 'IMPOSSIBLE_TRAVEL']);
    expect(new Set(many.map((t) => t.id)).size).toBe(many.length);
    expect(many.length).toBe(3);
    expect(tipsFor(['NO_SUCH_CODE'])).toEqual([]);
  });

  it('reads the language from the query, then Accept-Language', () => {
    expect(languageOf('zh-CN', 'en')).toBe('zh-CN');
    expect(languageOf(undefined, 'zh-TW,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(languageOf(undefined, 'en-GB,zh;q=0.5')).toBe('en');
    expect(languageOf(undefined, 'fr-FR,zh-CN;q=0.4')).toBe('zh-CN');
    expect(languageOf(undefined, undefined)).toBe('en');
  });
});

for (const target of DATABASES) {
  describe(`reports and education on ${target.name}`, () => {
    const bw = useBulwark(target, { starterRules: false });
    const api = new Api(bw);
    let fay = { id: '', walletId: '' };
    let gus = { id: '', walletId: '' };
    let scamTransfer = '';

    beforeAll(async () => {
      fay = await api.fundedCustomer('Fay', '50000');
      gus = await api.fundedCustomer('Gus', '50000');
      const t = await api.transfer(fay.walletId, gus.walletId, '20000');
      expect(t.status, t.text).toBe(201);
      scamTransfer = str(t.body, 'entryId');
    });

    it("refuses a report naming another customer's transaction, and freezes nothing", async () => {
      const other = await api.fundedCustomer('Hal', '1000');
      const res = await asCustomer(bw, other.id).post('/v1/reports', {
        kind: 'scam',
        description: 'x',
        entryId: scamTransfer,
      });
      expectProblem(res, 403, 'AUTH_FORBIDDEN');
      const row = await bw()
        .dbHandle.db.selectFrom('customers')
        .select('status')
        .where('id', '=', other.id)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('active');
    });

    it('freezes outgoing payments at once and opens a critical case, telling the user what to do next', async () => {
      const res = await asCustomer(bw, fay.id).post('/v1/reports', {
        kind: 'scam',
        description: 'A "customer service agent" told me to move my money to a safe account.',
        entryId: scamTransfer,
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body).toMatchObject({
        kind: 'scam',
        accountStatus: 'frozen',
        frozenNow: true,
        priorityCase: true,
      });
      expect(str(res.body, 'message', 'en')).toContain('froze');
      expect(str(res.body, 'message', 'zh-CN')).toContain('冻结');
      expect(arr(res.body, 'nextSteps', 'en').length).toBeGreaterThan(2);
      expect(arr(res.body, 'nextSteps', 'zh-CN')).toHaveLength(arr(res.body, 'nextSteps', 'en').length);
      expect(arr(res.body, 'tips').map((t) => at(t, 'id'))).toContain('fake_customer_service');

      // Money can no longer leave.
      const out = await api.transfer(fay.walletId, gus.walletId, '100');
      expect(out.status, out.text).toBe(422);
      expect(['WALLET_CUSTOMER_FROZEN', 'LEDGER_ACCOUNT_FROZEN']).toContain(at(out.body, 'code'));
      const db = bw().dbHandle.db;
      const customer = await db
        .selectFrom('customers')
        .select('status')
        .where('id', '=', fay.id)
        .executeTakeFirstOrThrow();
      expect(customer.status).toBe('frozen');
      const accounts = await db
        .selectFrom('ledger_accounts')
        .select('status')
        .where('owner_id', '=', fay.id)
        .execute();
      expect(accounts.every((a) => a.status === 'frozen')).toBe(true);
      const audit = await db
        .selectFrom('audit_log')
        .select(['actor_type', 'actor_id'])
        .where('action', '=', 'owner.freeze')
        .where('target_id', '=', fay.id)
        .execute();
      expect(audit).toEqual([{ actor_type: 'customer', actor_id: fay.id }]);

      const alert = await db
        .selectFrom('alerts')
        .selectAll()
        .where('source', '=', 'report')
        .where('source_ref', '=', str(res.body, 'id'))
        .executeTakeFirstOrThrow();
      expect(alert).toMatchObject({ type: 'report.scam', severity: 'critical', subject_id: fay.id });
      const kase = await db
        .selectFrom('cases')
        .selectAll()
        .where('id', '=', alert.case_id)
        .executeTakeFirstOrThrow();
      expect(kase).toMatchObject({ kind: 'risk', severity: 'critical', status: 'open' });
      // A report is due within 30 minutes.
      expect(kase.due_at.getTime() - alert.created_at.getTime()).toBe(30 * 60_000);
      const linked = await db
        .selectFrom('case_entities')
        .select(['kind', 'ref'])
        .where('case_id', '=', kase.id)
        .execute();
      expect(linked).toEqual(expect.arrayContaining([{ kind: 'transaction', ref: scamTransfer }]));

      // A second report joins the same case; the account is already frozen.
      const again = await asCustomer(bw, fay.id).post('/v1/reports', {
        kind: 'compromised',
        description: 'And now I cannot sign in on my old phone.',
      });
      expect(again.status, again.text).toBe(201);
      expect(again.body).toMatchObject({ frozenNow: false, accountStatus: 'frozen' });
      const second = await db
        .selectFrom('alerts')
        .select('case_id')
        .where('source_ref', '=', str(again.body, 'id'))
        .executeTakeFirstOrThrow();
      expect(second.case_id).toBe(kase.id);

      // The reports are in the user's conversations, where a person answers them.
      const mine = await asCustomer(bw, fay.id).get('/v1/feedback');
      expect(arr(mine.body, 'feedback').map((f) => at(f, 'report'))).toEqual(['compromised', 'scam']);
    });

    it('serves tips and answers in English or Chinese, and the tips for a decision', async () => {
      const anon = api.as(null);
      const en = await anon.get('/v1/education/tips');
      expect(en.status, en.text).toBe(200);
      expect(en.body).toMatchObject({ lang: 'en' });
      expect(arr(en.body, 'tips').length).toBe(TIPS.length);
      const zh = await anon.get('/v1/education/tips?lang=zh-CN');
      expect(zh.headers['content-language']).toBe('zh-CN');
      expect(str(zh.body, 'tips', 0, 'title')).toMatch(/[\u4e00-\u9fff]/);
      const byHeader = await anon.get('/v1/education/faq', { 'accept-language': 'zh-CN,zh;q=0.9' });
      expect(byHeader.body).toMatchObject({ lang: 'zh-CN' });
      expect(str(byHeader.body, 'faq', 0, 'question')).toMatch(/[\u4e00-\u9fff]/);
      const faqEn = await anon.get('/v1/education/faq?lang=en');
      expect(arr(faqEn.body, 'faq').map((f) => at(f, 'id'))).toContain('report_scam');

      const forDecision = await anon.get(
        '/v1/education/tips?reasonCodes=PHISHING_NEW_PAYEE_NIGHT,UNKNOWN&lang=en',
      );
      expect(arr(forDecision.body, 'tips').map((t) => at(t, 'id'))).toEqual([
        'online_romance_investment',
        'phishing_links',
        'check_before_large_transfer',
      ]);
      expectProblem(await anon.get('/v1/education/tips?lang=fr'), 400, 'VALIDATION_FAILED');
    });

    it('holds the daily limit of reports when they arrive at once', async () => {
      const ivy = await api.fundedCustomer('Ivy', '1000');
      const results = await Promise.all(
        Array.from({ length: LIMITS.reportsPerDayMax + 2 }, (_, i) =>
          asCustomer(bw, ivy.id).post('/v1/reports', { kind: 'compromised', description: `Report ${i}.` }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(LIMITS.reportsPerDayMax);
      for (const r of results.filter((x) => x.status !== 201)) {
        expectProblem(r, 422, 'SUPPORT_LIMIT_REACHED');
      }
      const kept = await bw()
        .dbHandle.db.selectFrom('support_feedback')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('customer_id', '=', ivy.id)
        .executeTakeFirstOrThrow();
      expect(Number(kept.n)).toBe(LIMITS.reportsPerDayMax);
    });
  });
}
