// Every notification topic renders, for every recipient, in English and Simplified Chinese from its documented payload; money comes from minor units by the currency's exponent; a malformed payload is refused by field, not rendered.
import { describe, expect, it } from 'vitest';
import { formatMoney, formatTime, langOf } from '../../src/notify/format.ts';
import { InvalidPayload } from '../../src/notify/payload.ts';
import { NOTIFY_TOPICS, patternCovers, planEvent } from '../../src/notify/topics.ts';
import { newId } from '../../src/platform/ids.ts';
import { samplePayloads } from './samples.ts';

const parties = { customerId: newId('cus'), merchantId: newId('mer'), staffId: newId('stf') };
const samples = samplePayloads(parties);
const LEFTOVERS = /undefined|null|NaN|\[object|\$\{|\{[a-zA-Z]+\}/;

describe('the notification catalogue', () => {
  it('renders every topic for every recipient in both languages', () => {
    const rendered: string[] = [];
    for (const topic of NOTIFY_TOPICS) {
      const messages = planEvent(topic, samples[topic]);
      if (topic === 'cases.alert.raised') {
        expect(messages, topic).toEqual([]);
        continue;
      }
      expect(messages.length, topic).toBeGreaterThan(0);
      for (const m of messages) {
        for (const text of [m.en, m.zhCN]) {
          expect(text.title.length, topic).toBeGreaterThan(3);
          expect(text.body.length, topic).toBeGreaterThan(10);
          expect(`${text.title} ${text.body}`, topic).not.toMatch(LEFTOVERS);
        }
        expect(m.en.body).not.toBe(m.zhCN.body);
        // Chinese texts are Chinese, English ones are not.
        expect(m.zhCN.title, topic).toMatch(/[\u4e00-\u9fff]/);
        expect(m.en.title, topic).not.toMatch(/[\u4e00-\u9fff]/);
        rendered.push(`${topic}:${m.recipient.type}`);
      }
    }
    expect(rendered).toEqual(
      expect.arrayContaining([
        'support.dispute.opened:customer',
        'support.dispute.opened:merchant',
        'wallet.owner.unfrozen:merchant',
        'cases.case.assigned:staff',
      ]),
    );
  });

  it('sends customers e-mail too, merchants and staff only the inbox', () => {
    const [customer, merchant] = planEvent('support.dispute.decided', samples['support.dispute.decided']);
    expect(customer?.recipient).toEqual({ type: 'customer', id: parties.customerId });
    expect(customer?.email).toBe(true);
    expect(merchant?.recipient).toEqual({ type: 'merchant', id: parties.merchantId });
    expect(merchant?.email).toBe(false);
    expect(customer?.en.title).toBe('Your dispute was upheld');
    expect(merchant?.en.body).toContain("in the customer's favour");
    const [staff] = planEvent('cases.case.assigned', samples['cases.case.assigned']);
    expect(staff?.recipient.type).toBe('staff');
    expect(staff?.email).toBe(false);
    const [login] = planEvent('identity.login.new_device', {
      ...samples['identity.login.new_device'],
      subjectType: 'staff',
      subjectId: parties.staffId,
    });
    expect(login?.recipient).toEqual({ type: 'staff', id: parties.staffId });
  });

  it('says why a movement is held, in both languages, without the raw reason codes', () => {
    const [m] = planEvent('wallet.hold.placed', samples['wallet.hold.placed']);
    expect(m?.en.body).toContain('CNY 1,234.56');
    expect(m?.en.body).toContain('it is a large amount and this is a new payee');
    expect(m?.zhCN.body).toContain('人民币 1,234.56');
    expect(m?.zhCN.body).toContain('金额较大、这是新的收款人');
    expect(`${m?.en.body} ${m?.zhCN.body}`).not.toContain('LARGE_AMOUNT');
    expect(m?.data).toEqual({ holdId: samples['wallet.hold.placed'].holdId });
  });

  it('reads producers as they write: a released hold without its entry, an unusual kind, the dispute states', () => {
    const [released] = planEvent('wallet.hold.released', {
      ...samples['wallet.hold.released'],
      entryId: null,
    });
    expect(released?.en.body).toBe('USD 50.00 that was held for review has been approved and completed.');
    const [refund] = planEvent('wallet.hold.placed', { ...samples['wallet.hold.placed'], kind: 'refund' });
    expect(refund?.en.title).toBe('Your transaction is held for review');
    expect(refund?.zhCN.title).toBe('您的交易正在审核');
    const [weird] = planEvent('wallet.hold.placed', {
      ...samples['wallet.hold.placed'],
      kind: 'constructor',
    });
    expect(weird?.en.title).toBe('Your transaction is held for review');
    const [updated] = planEvent('support.dispute.updated', samples['support.dispute.updated']);
    expect(updated?.en.body).toContain('is now being decided');
    expect(updated?.zhCN.body).toContain('裁决中');
    const [answered] = planEvent('support.feedback.answered', samples['support.feedback.answered']);
    expect(answered?.en.body).toContain('about a payment problem');
    expect(answered?.zhCN.body).toContain('「支付问题」');
  });

  it('formats money from minor units by the currency exponent, without floats', () => {
    expect(formatMoney('123456789012345678', 'CNY', 'en')).toBe('CNY 1,234,567,890,123,456.78');
    expect(formatMoney('1200', 'JPY', 'en')).toBe('JPY 1,200');
    expect(formatMoney('5', 'USD', 'zh-CN')).toBe('美元 0.05');
    expect(formatMoney('-100000', 'CNY', 'zh-CN')).toBe('人民币 -1,000.00');
    expect(() => formatMoney('1.5', 'CNY', 'en')).toThrow(RangeError);
    expect(() => formatMoney('100', 'XXX', 'en')).toThrow(RangeError);
    const [released] = planEvent('wallet.hold.released', samples['wallet.hold.released']);
    expect(released?.en.body).toContain('USD 50.00');
    const [rejected] = planEvent('wallet.hold.rejected', samples['wallet.hold.rejected']);
    expect(rejected?.zhCN.body).toContain('日元 1,200');
  });

  it('writes times in UTC for English and Beijing time for Chinese', () => {
    const at = new Date('2026-11-21T23:59:00.000Z');
    expect(formatTime(at, 'en')).toBe('2026-11-21 23:59 UTC');
    expect(formatTime(at, 'zh-CN')).toBe('2026-11-22 07:59（北京时间）');
  });

  it('refuses a malformed payload by naming the field, never its value', () => {
    const bad = { ...samples['wallet.hold.placed'], amountMinor: 12.5 };
    expect(() => planEvent('wallet.hold.placed', bad)).toThrow(InvalidPayload);
    expect(() => planEvent('wallet.hold.placed', bad)).toThrow(/amountMinor/);
    expect(() =>
      planEvent('identity.password.changed', {
        customerId: 'li@example.com',
        at: '2026-11-21T08:15:30.000Z',
      }),
    ).toThrow(/customerId/);
    try {
      planEvent('identity.password.changed', {
        customerId: 'li@example.com',
        at: '2026-11-21T08:15:30.000Z',
      });
    } catch (err) {
      expect(String(err)).not.toContain('li@example.com');
    }
    expect(() => planEvent('wallet.owner.frozen', null)).toThrow(InvalidPayload);
  });

  it('picks the language from Accept-Language', () => {
    expect(langOf(undefined)).toBe('en');
    expect(langOf('zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
    expect(langOf('zh')).toBe('zh-CN');
    expect(langOf('en-US,en;q=0.9,zh-CN;q=0.8')).toBe('en');
    expect(langOf('en;q=0.5, zh-TW;q=0.9')).toBe('zh-CN');
    expect(langOf('fr-FR')).toBe('en');
  });

  it('matches webhook topic patterns by prefix', () => {
    expect(patternCovers('*', 'wallet.hold.placed')).toBe(true);
    expect(patternCovers('wallet.', 'wallet.hold.placed')).toBe(true);
    expect(patternCovers('wallet.hold.placed', 'wallet.hold.placed')).toBe(true);
    expect(patternCovers('support.', 'wallet.hold.placed')).toBe(false);
  });
});
