// Proves the rules API on every database: the starter rules are loaded once as acting versions and each fires on its pattern and not beside it; drafts are type-checked (422 with line and column); a version goes draft → shadow → active through maker-checker (the maker and the author cannot approve) and retired, every step audited; the live evaluation changes right after an approval without a restart; versions are immutable; bad input is refused.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { STARTER_RULES } from '../../src/risk/rules/starter.ts';
import { readAudit } from '../../src/security/audit.ts';
import { Api, arr, at, expectProblem, type Reply, str } from '../api/client.ts';
import { DATABASES, staffSession, type TestBulwark, useBulwark } from '../helpers.ts';

type Features = Record<string, number | boolean | string>;

interface Example {
  event: Record<string, unknown>;
  features: Features;
}

/** For each starter rule, an event it must catch and a close one it must let through. */
const STARTER_EXAMPLES: Record<string, { hit: Example; miss: Example }> = {
  impossible_travel: {
    hit: {
      event: { type: 'withdrawal', customerId: 'cus_a', amountMinor: '300000', currency: 'CNY' },
      features: { 'customer.travelKmh': 1800.5, 'customer.distanceFromLastKm': 1200.2 },
    },
    miss: {
      event: { type: 'withdrawal', customerId: 'cus_a', amountMinor: '300000', currency: 'CNY' },
      features: { 'customer.travelKmh': 60.0, 'customer.distanceFromLastKm': 1200.2 },
    },
  },
  mule_fast_outbound: {
    hit: {
      event: { type: 'withdrawal', customerId: 'cus_a', amountMinor: '900000', currency: 'CNY' },
      features: {
        'customer.accountAgeDays': 6,
        'customer.received.count_24h': 9,
        'customer.received.sum_24h': '1000000',
      },
    },
    miss: {
      event: { type: 'withdrawal', customerId: 'cus_a', amountMinor: '900000', currency: 'CNY' },
      features: {
        'customer.accountAgeDays': 400,
        'customer.received.count_24h': 9,
        'customer.received.sum_24h': '1000000',
      },
    },
  },
  structuring_below_threshold: {
    hit: {
      event: { type: 'transfer', customerId: 'cus_a', amountMinor: '4950000', currency: 'CNY' },
      features: { 'customer.out.count_24h': 2 },
    },
    miss: {
      event: { type: 'transfer', customerId: 'cus_a', amountMinor: '5050000', currency: 'CNY' },
      features: { 'customer.out.count_24h': 2 },
    },
  },
  ato_new_device_withdrawal: {
    hit: {
      event: { type: 'withdrawal', customerId: 'cus_a', amountMinor: '300000', currency: 'CNY' },
      features: { 'device.ageHours': 2, 'customer.hoursSincePasswordChange': 3 },
    },
    miss: {
      event: { type: 'withdrawal', customerId: 'cus_a', amountMinor: '300000', currency: 'CNY' },
      features: { 'device.ageHours': 2, 'customer.hoursSincePasswordChange': 400 },
    },
  },
  ato_credentials_and_phone: {
    hit: {
      event: { type: 'transfer', customerId: 'cus_a', amountMinor: '800000', currency: 'CNY' },
      features: {
        'device.ageHours': 0,
        'customer.hoursSincePasswordChange': 2,
        'customer.hoursSincePhoneChange': 1,
      },
    },
    miss: {
      event: { type: 'transfer', customerId: 'cus_a', amountMinor: '800000', currency: 'CNY' },
      features: {
        'device.ageHours': 0,
        'customer.hoursSincePasswordChange': 2,
        'customer.hoursSincePhoneChange': 87600,
      },
    },
  },
  phishing_new_payee_night: {
    hit: {
      event: { type: 'transfer', customerId: 'cus_a', amountMinor: '600000', currency: 'CNY', hour: 23 },
      features: { 'payee.isNew': true },
    },
    miss: {
      event: { type: 'transfer', customerId: 'cus_a', amountMinor: '600000', currency: 'CNY', hour: 14 },
      features: { 'payee.isNew': true },
    },
  },
  impersonation_young_payee: {
    hit: {
      event: { type: 'transfer', customerId: 'cus_a', amountMinor: '1500000', currency: 'CNY' },
      features: { 'payee.accountAgeDays': 3 },
    },
    miss: {
      event: { type: 'transfer', customerId: 'cus_a', amountMinor: '1500000', currency: 'CNY' },
      features: { 'payee.accountAgeDays': 45 },
    },
  },
  card_testing: {
    hit: {
      event: { type: 'topup', customerId: 'cus_a', amountMinor: '100', currency: 'CNY' },
      features: { 'customer.topup.smallCount_1h': 6 },
    },
    miss: {
      event: { type: 'topup', customerId: 'cus_a', amountMinor: '100', currency: 'CNY' },
      features: { 'customer.topup.smallCount_1h': 1 },
    },
  },
  mule_many_payers: {
    hit: {
      event: { type: 'transfer', customerId: 'cus_a', amountMinor: '20000', currency: 'CNY' },
      features: { 'payee.distinctPayers_24h': 14 },
    },
    miss: {
      event: { type: 'transfer', customerId: 'cus_a', amountMinor: '20000', currency: 'CNY' },
      features: { 'payee.distinctPayers_24h': 2 },
    },
  },
  brushing_merchant: {
    hit: {
      event: {
        type: 'payment',
        customerId: 'cus_a',
        counterpartyId: 'mer_x',
        amountMinor: '990',
        currency: 'CNY',
      },
      features: { 'merchant.sameAmountPayments_1h': 9, 'merchant.linkedPayers_1h': 4 },
    },
    miss: {
      event: {
        type: 'payment',
        customerId: 'cus_a',
        counterpartyId: 'mer_x',
        amountMinor: '990',
        currency: 'CNY',
      },
      features: { 'merchant.sameAmountPayments_1h': 9, 'merchant.linkedPayers_1h': 0 },
    },
  },
  large_vs_history: {
    hit: {
      event: { type: 'payment', customerId: 'cus_a', amountMinor: '2000000', currency: 'CNY' },
      features: {
        'customer.typicalAmount': 15000,
        'customer.amountPercentile': 0.999,
        'customer.amountZScore': 12.5,
      },
    },
    miss: {
      event: { type: 'payment', customerId: 'cus_a', amountMinor: '20000', currency: 'CNY' },
      features: {
        'customer.typicalAmount': 15000,
        'customer.amountPercentile': 0.7,
        'customer.amountZScore': 0.4,
      },
    },
  },
  credential_stuffing_ip: {
    hit: {
      event: { type: 'login', customerId: 'cus_a', ip: '198.51.100.7' },
      features: { 'ip.failedLogins_1h': 45 },
    },
    miss: {
      event: { type: 'login', customerId: 'cus_a', ip: '198.51.100.7' },
      features: { 'ip.failedLogins_1h': 2 },
    },
  },
  device_many_accounts: {
    hit: {
      event: { type: 'registration', customerId: 'cus_a', deviceId: 'dev-123456' },
      features: { 'device.accountsSeen_30d': 8 },
    },
    miss: {
      event: { type: 'registration', customerId: 'cus_a', deviceId: 'dev-123456' },
      features: { 'device.accountsSeen_30d': 1 },
    },
  },
  sensitive_change_new_device: {
    hit: {
      event: { type: 'phone_change', customerId: 'cus_a' },
      features: { 'device.ageHours': 2, 'customer.hoursSincePasswordChange': 5 },
    },
    miss: {
      event: { type: 'phone_change', customerId: 'cus_a' },
      features: { 'device.ageHours': 900, 'customer.hoursSincePasswordChange': 5 },
    },
  },
  merchant_refund_abuse: {
    hit: {
      event: { type: 'refund', customerId: 'mer_x', amountMinor: '50000', currency: 'CNY' },
      features: { 'merchant.accountAgeDays': 20, 'merchant.refundRate_30d': 0.45 },
    },
    miss: {
      event: { type: 'refund', customerId: 'mer_x', amountMinor: '50000', currency: 'CNY' },
      features: { 'merchant.accountAgeDays': 20, 'merchant.refundRate_30d': 0.02 },
    },
  },
};

async function auditActions(bw: TestBulwark, ruleId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readAudit(bw.dbHandle.db)) {
    if (r.targetType === 'risk_rule' && r.targetId === ruleId) out.push(r.action);
  }
  return out;
}

/** A transfer the starter rules leave alone (their amounts are in CNY), for the lifecycle's own rule. */
const NIGHT_TRANSFER = {
  type: 'transfer',
  customerId: 'cus_a',
  amountMinor: '700000',
  currency: 'HKD',
  hour: 2,
};

for (const target of DATABASES) {
  describe(`risk rules API on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);
    const analyst = api.asStaff('analyst');
    const compliance = api.asStaff('compliance');
    const auditor = api.asStaff('auditor');

    const live = (event: Record<string, unknown>, features: Features = {}) =>
      analyst.post('/v1/risk/rules/test', { live: true, event, features });

    it('loads the starter rules once, as acting versions published by the system', async () => {
      const res = await auditor.get('/v1/risk/rules');
      expect(res.status, res.text).toBe(200);
      const rules = arr(res.body, 'rules');
      for (const s of STARTER_RULES) {
        const rule = rules.find((r) => at(r, 'id') === s.id);
        expect(rule, s.id).toMatchObject({
          activeVersion: 1,
          versions: [
            {
              version: 1,
              state: 'active',
              createdBy: 'system',
              publishedBy: 'system',
              reasonCode: s.reasonCode,
            },
          ],
        });
      }
      expect(await bw().rules.loadStarter(STARTER_RULES)).toEqual([]);
      const count = await bw()
        .dbHandle.db.selectFrom('risk_rule_versions')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(STARTER_RULES.length);
      expect(Object.keys(STARTER_EXAMPLES).sort()).toEqual(STARTER_RULES.map((r) => r.id).sort());
    });

    it('fires each starter rule on its pattern and not on a close event', async () => {
      for (const rule of STARTER_RULES) {
        const ex = STARTER_EXAMPLES[rule.id];
        if (!ex) throw new Error(`no example for ${rule.id}`);
        for (const [kind, example] of [
          ['hit', ex.hit],
          ['miss', ex.miss],
        ] as const) {
          const res = await analyst.post('/v1/risk/rules/test', {
            ruleId: rule.id,
            version: 1,
            event: example.event,
            features: example.features,
          });
          expect(res.status, `${rule.id} ${kind}: ${res.text}`).toBe(200);
          const evaluation = at(res.body, 'evaluation');
          expect(at(evaluation, 'errors'), `${rule.id} ${kind}`).toEqual([]);
          expect(at(evaluation, 'outcome'), `${rule.id} ${kind}`).toBe(
            kind === 'hit' ? rule.action : 'ALLOW',
          );
          if (kind === 'hit') {
            expect(at(evaluation, 'reasonCodes')).toEqual([rule.reasonCode]);
            expect(at(evaluation, 'messageKey')).toBe(rule.messageKey);
          }
        }
      }
      // The phishing rule's CHALLENGE carries the in-the-moment warning, in both languages.
      const phishing = await analyst.post('/v1/risk/rules/test', {
        live: true,
        ...STARTER_EXAMPLES.phishing_new_payee_night?.hit,
      });
      expect(at(phishing.body, 'evaluation', 'warningKeys')).toEqual(['risk.warn.online_contact']);
      const messages = arr((await auditor.get('/v1/risk/messages')).body, 'messages');
      expect(messages.find((m) => at(m, 'key') === 'risk.warn.online_contact')).toMatchObject({
        en: expect.stringContaining('Has someone you met online asked you to transfer money?'),
        'zh-CN': expect.stringContaining('是否有网上认识的人要求您转账？'),
      });
    });

    it('serves the feature registry and the environment', async () => {
      const res = await compliance.get('/v1/risk/features');
      expect(res.status, res.text).toBe(200);
      const features = arr(res.body, 'features');
      expect(features.length).toBeGreaterThanOrEqual(30);
      expect(features).toContainEqual(
        expect.objectContaining({ name: 'payee.isNew', path: 'features.payee.isNew', type: 'bool' }),
      );
      expect(arr(res.body, 'eventTypes')).toContain('bank_account_binding');
    });

    it('refuses invalid rules with every problem and its position', async () => {
      const base = {
        id: 'bad_rule',
        name: 'Bad',
        action: 'REVIEW',
        score: 10,
        reasonCode: 'BAD_RULE',
        messageKey: 'risk.msg.review',
      };
      const typeError = await analyst.post('/v1/risk/rules', {
        ...base,
        expression: "event.type == 'transfer'\n  && amount > 'a lot'\n  && features.payee.isNewish",
      });
      expectProblem(typeError, 422, 'RISK_RULE_INVALID');
      expect(at(typeError.body, 'errors')).toEqual([
        { line: 2, column: 13, message: "cannot compare int with string using '>'" },
        {
          line: 3,
          column: 21,
          message: "unknown feature 'features.payee.isNewish'; did you mean 'isNew'?",
        },
      ]);
      const unknownFeature = await analyst.post('/v1/risk/rules', {
        ...base,
        expression: 'features.customer.age > 1',
      });
      expectProblem(unknownFeature, 422, 'RISK_RULE_INVALID');
      expect(str(unknownFeature.body, 'errors', 0, 'message')).toContain(
        "unknown feature 'features.customer.age'",
      );

      expectProblem(
        await analyst.post('/v1/risk/rules', { ...base, expression: `amount > 0${' '.repeat(4100)}` }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await analyst.post('/v1/risk/rules', { ...base, action: 'ESCALATE', expression: 'amount > 0' }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await analyst.post('/v1/risk/rules', { ...base, score: 5000, expression: 'amount > 0' }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await analyst.post('/v1/risk/rules', { ...base, id: 'Bad Id', expression: 'amount > 0' }),
        400,
        'VALIDATION_FAILED',
      );
      const unknownMessage = await analyst.post('/v1/risk/rules', {
        ...base,
        messageKey: 'risk.msg.whatever',
        expression: 'amount > 0',
      });
      expectProblem(unknownMessage, 400, 'VALIDATION_FAILED');
      expect(str(unknownMessage.body, 'detail')).toContain('messageKey');
      expectProblem(
        await analyst.post('/v1/risk/rules', {
          ...base,
          warningKey: 'risk.warn.online_contact',
          expression: 'amount > 0',
        }),
        400,
        'VALIDATION_FAILED',
      );
      // The test panel refuses the same way, and refuses features the registry does not have.
      const panel = await analyst.post('/v1/risk/rules/test', {
        expression: 'amount > "x"',
        event: NIGHT_TRANSFER,
      });
      expectProblem(panel, 422, 'RISK_RULE_INVALID');
      expect(at(panel.body, 'errors', 0)).toMatchObject({ line: 1, column: 8 });
      expectProblem(
        await analyst.post('/v1/risk/rules/test', {
          expression: 'amount > 0',
          event: NIGHT_TRANSFER,
          features: { 'payee.shoeSize': 42 },
        }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(
        await analyst.post('/v1/risk/rules/test', {
          expression: 'amount > 0',
          live: true,
          event: NIGHT_TRANSFER,
        }),
        400,
        'VALIDATION_FAILED',
      );
      expect(
        (await bw().dbHandle.db.selectFrom('risk_rules').select('id').where('id', '=', 'bad_rule').execute())
          .length,
      ).toBe(0);
    });

    it('lets only the permitted roles write', async () => {
      const body = {
        id: 'not_allowed',
        name: 'No',
        expression: 'amount > 0',
        action: 'REVIEW',
        score: 1,
        reasonCode: 'NO',
        messageKey: 'risk.msg.review',
      };
      expectProblem(await auditor.post('/v1/risk/rules', body), 403, 'AUTH_FORBIDDEN');
      expectProblem(await compliance.post('/v1/risk/rules', body), 403, 'AUTH_FORBIDDEN');
      expectProblem(await api.asStaff('support').get('/v1/risk/rules'), 403, 'AUTH_FORBIDDEN');
      expectProblem(await api.get('/v1/risk/rules'), 403, 'AUTH_FORBIDDEN');
    });

    it('runs the lifecycle: draft, shadow, maker-checker activation, a superseding version, retirement', async () => {
      const ruleId = 'night_transfer_block';
      const expression = "event.type == 'transfer' && amount >= 700000 && event.hour < 5";
      const created = await analyst.post('/v1/risk/rules', {
        id: ruleId,
        name: 'Night transfers',
        description: 'Large transfers in the small hours',
        expression,
        action: 'BLOCK',
        score: 50,
        reasonCode: 'NIGHT_TRANSFER',
        messageKey: 'risk.msg.declined',
      });
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({
        id: ruleId,
        draftVersion: 1,
        activeVersion: null,
        versions: [{ state: 'draft' }],
      });
      expectProblem(
        await analyst.post('/v1/risk/rules', {
          id: ruleId,
          name: 'Duplicate',
          expression,
          action: 'BLOCK',
          score: 50,
          reasonCode: 'NIGHT_TRANSFER',
          messageKey: 'risk.msg.declined',
        }),
        409,
        'RISK_RULE_EXISTS',
      );

      // A draft does not take part in decisions.
      const outcome = async () => str(at((await live(NIGHT_TRANSFER)).body, 'evaluation'), 'outcome');
      expect(await outcome()).toBe('ALLOW');

      // Shadow: evaluated and reported, never acting.
      const shadowed = await analyst.post(`/v1/risk/rules/${ruleId}/versions/1/shadow`, {
        reason: 'watch it a week',
      });
      expect(shadowed.status, shadowed.text).toBe(200);
      expect(shadowed.body).toMatchObject({ shadowVersion: 1, activeVersion: null });
      const inShadow = at((await live(NIGHT_TRANSFER)).body, 'evaluation');
      expect(inShadow).toMatchObject({ outcome: 'ALLOW', withShadow: { outcome: 'BLOCK' } });
      expect(arr(inShadow, 'hits')).toContainEqual(
        expect.objectContaining({ ruleId, version: 1, shadow: true }),
      );

      // Activation is asked for (202) and decided by someone else with rule.publish.
      const engineBefore = await bw().ruleEngine.evaluate(
        { type: 'transfer', customerId: 'cus_a', amountMinor: 700_000n, currency: 'HKD', hour: 2 },
        {},
        new Date(),
      );
      expect(engineBefore.outcome).toBe('ALLOW');
      const asked = await analyst.post(`/v1/risk/rules/${ruleId}/versions/1/activate`, {
        reason: 'a week of clean shadow data',
      });
      expect(asked.status, asked.text).toBe(202);
      expect(asked.body).toMatchObject({
        action: 'risk.rule.publish',
        status: 'pending',
        payload: { ruleId, version: 1, state: 'active' },
      });
      const approvalId = str(asked.body, 'id');
      expectProblem(await analyst.post(`/v1/approvals/${approvalId}/approve`, {}), 403, 'APPROVAL_SELF');
      expectProblem(await auditor.post(`/v1/approvals/${approvalId}/approve`, {}), 403, 'AUTH_FORBIDDEN');
      expect(await outcome()).toBe('ALLOW');
      const approved = await compliance.post(`/v1/approvals/${approvalId}/approve`, {
        reason: 'reviewed the data',
      });
      expect(approved.status, approved.text).toBe(200);
      expect(approved.body).toMatchObject({
        approval: {
          status: 'approved',
          result: { ruleId, version: 1, state: 'active', supersededVersion: null },
        },
      });

      // Right away, without a restart: the engine's compiled set was dropped by the approval.
      const engineAfter = await bw().ruleEngine.evaluate(
        { type: 'transfer', customerId: 'cus_a', amountMinor: 700_000n, currency: 'HKD', hour: 2 },
        {},
        new Date(),
      );
      expect(engineAfter).toMatchObject({ outcome: 'BLOCK', reasonCodes: ['NIGHT_TRANSFER'] });
      expect(Number(engineAfter.revision)).toBeGreaterThan(Number(engineBefore.revision));
      const rule = await analyst.get(`/v1/risk/rules/${ruleId}`);
      expect(rule.body).toMatchObject({
        activeVersion: 1,
        shadowVersion: null,
        versions: [{ version: 1, state: 'active', approvalId, publishedBy: expect.stringMatching(/^stf_/) }],
      });

      // A new version, written by the analyst, asked for by compliance: the author cannot approve it.
      const v2 = await analyst.post(`/v1/risk/rules/${ruleId}/versions`, {
        expression: "event.type == 'transfer' && amount >= 700000 && event.hour < 5 && features.payee.isNew",
        action: 'REVIEW',
        score: 40,
        reasonCode: 'NIGHT_TRANSFER',
        messageKey: 'risk.msg.review',
      });
      expect(v2.status, v2.text).toBe(201);
      expect(v2.body).toMatchObject({ draftVersion: 2, activeVersion: 1 });
      const asked2 = await compliance.post(`/v1/risk/rules/${ruleId}/versions/2/activate`, {
        reason: 'fewer false positives',
      });
      expect(asked2.status, asked2.text).toBe(202);
      const approval2 = str(asked2.body, 'id');
      expectProblem(await analyst.post(`/v1/approvals/${approval2}/approve`, {}), 403, 'APPROVAL_SELF');
      const otherAnalyst = await staffSession(bw(), 'analyst');
      const approved2 = await api.as(otherAnalyst.auth).post(`/v1/approvals/${approval2}/approve`, {});
      expect(approved2.status, approved2.text).toBe(200);
      expect(at(approved2.body, 'approval', 'result')).toMatchObject({ version: 2, supersededVersion: 1 });
      const afterV2 = await analyst.get(`/v1/risk/rules/${ruleId}`);
      expect(afterV2.body).toMatchObject({
        activeVersion: 2,
        versions: [
          { version: 2, state: 'active' },
          { version: 1, state: 'retired' },
        ],
      });
      expect(await outcome()).toBe('ALLOW'); // v2 needs a new payee
      const newPayee = at((await live(NIGHT_TRANSFER, { 'payee.isNew': true })).body, 'evaluation');
      expect(newPayee).toMatchObject({
        outcome: 'REVIEW',
        hits: [expect.objectContaining({ ruleId, version: 2 })],
      });

      // A retired version cannot come back; a draft cannot be activated twice.
      expectProblem(
        await analyst.post(`/v1/risk/rules/${ruleId}/versions/1/shadow`, { reason: 'again' }),
        409,
        'RISK_RULE_STATE',
      );
      expectProblem(
        await analyst.post(`/v1/risk/rules/${ruleId}/versions/2/activate`, { reason: 'again' }),
        409,
        'RISK_RULE_STATE',
      );

      // Retiring the acting version also takes two people.
      const retireAsk = await analyst.post(`/v1/risk/rules/${ruleId}/versions/2/retire`, {
        reason: 'pattern gone',
      });
      expect(retireAsk.status, retireAsk.text).toBe(202);
      expect(retireAsk.body).toMatchObject({ payload: { ruleId, version: 2, state: 'retired' } });
      expect(
        str(at((await live(NIGHT_TRANSFER, { 'payee.isNew': true })).body, 'evaluation'), 'outcome'),
      ).toBe('REVIEW');
      const retired = await compliance.post(`/v1/approvals/${str(retireAsk.body, 'id')}/approve`, {});
      expect(retired.status, retired.text).toBe(200);
      expect(
        str(at((await live(NIGHT_TRANSFER, { 'payee.isNew': true })).body, 'evaluation'), 'outcome'),
      ).toBe('ALLOW');

      // A draft is retired directly.
      const v3 = await analyst.post(`/v1/risk/rules/${ruleId}/versions`, {
        expression,
        action: 'BLOCK',
        score: 50,
        reasonCode: 'NIGHT_TRANSFER',
        messageKey: 'risk.msg.declined',
      });
      expect(v3.status, v3.text).toBe(201);
      const dropped = await analyst.post(`/v1/risk/rules/${ruleId}/versions/3/retire`, {
        reason: 'not needed',
      });
      expect(dropped.status, dropped.text).toBe(200);
      expect(at(dropped.body, 'versions', 0)).toMatchObject({ version: 3, state: 'retired' });

      expect(await auditActions(bw(), ruleId)).toEqual([
        'risk.rule.create',
        'risk.rule.shadow',
        'risk.rule.activate',
        'risk.rule.draft',
        'risk.rule.retire',
        'risk.rule.activate',
        'risk.rule.retire',
        'risk.rule.draft',
        'risk.rule.retire',
      ]);
    });

    it('keeps versions immutable in the database', async () => {
      const db = bw().dbHandle.db;
      await expect(
        sql`update risk_rule_versions set expression = 'true' where rule_id = 'card_testing' and version = 1`.execute(
          db,
        ),
      ).rejects.toThrow(/immutable/);
      await expect(
        sql`delete from risk_rule_versions where rule_id = 'card_testing'`.execute(db),
      ).rejects.toThrow(/delete refused/);
    });

    it('evaluates a single version against an event whatever its state, and reports run-time errors', async () => {
      const created = await analyst.post('/v1/risk/rules', {
        id: 'payee_age_probe',
        name: 'Probe',
        expression: 'features.payee.accountAgeDays < 3',
        action: 'REVIEW',
        score: 5,
        reasonCode: 'PROBE',
        messageKey: 'risk.msg.review',
      });
      expect(created.status, created.text).toBe(201);
      const res: Reply = await auditor.post('/v1/risk/rules/test', {
        ruleId: 'payee_age_probe',
        version: 1,
        event: NIGHT_TRANSFER,
        features: {},
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({
        mode: 'rule',
        state: 'draft',
        evaluation: {
          outcome: 'ALLOW',
          errors: [
            { ruleId: 'payee_age_probe', version: 1, message: expect.stringContaining('accountAgeDays') },
          ],
        },
      });
      const expr = await auditor.post('/v1/risk/rules/test', {
        expression: 'amount * 100000000000000 > 0',
        event: NIGHT_TRANSFER,
      });
      expect(expr.body).toMatchObject({
        mode: 'expression',
        matched: null,
        error: expect.stringContaining('overflow'),
      });
      expectProblem(
        await auditor.post('/v1/risk/rules/test', {
          ruleId: 'payee_age_probe',
          version: 9,
          event: NIGHT_TRANSFER,
        }),
        404,
        'RISK_RULE_NOT_FOUND',
      );
    });
  });
}
