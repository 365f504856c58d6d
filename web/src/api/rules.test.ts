// The rules API as the console reads it: rules with versions decode into one model, the test panel's three answers are told apart, and a refused expression gives back its line, column and message.
import { describe, expect, it } from 'vitest';
import { decode } from './decode.ts';
import { ApiError } from './errors.ts';
import { fieldProblemOf, leadVersion, lifecycleAnswer, ruleIssuesOf, ruleList, testAnswer } from './rules.ts';

const version = (n: number, state: string) => ({
  ruleId: 'night_transfer_block',
  version: n,
  expression: "event.type == 'transfer' && amount >= 700000",
  action: 'BLOCK',
  score: 50,
  reasonCode: 'NIGHT_TRANSFER',
  messageKey: 'risk.msg.declined',
  warningKey: null,
  state,
  createdBy: 'stf_01',
  createdAt: '2026-11-21T10:00:00.000Z',
  stateChangedBy: 'stf_01',
  stateChangedAt: '2026-11-21T10:00:00.000Z',
  publishedBy: null,
  publishedAt: null,
  approvalId: null,
});

const rule = {
  id: 'night_transfer_block',
  name: 'Night transfers',
  description: '',
  draftVersion: 3,
  activeVersion: 1,
  shadowVersion: 2,
  createdBy: 'stf_01',
  createdAt: '2026-11-21T10:00:00.000Z',
  updatedBy: 'stf_01',
  updatedAt: '2026-11-21T10:00:00.000Z',
  versions: [version(3, 'draft'), version(2, 'shadow'), version(1, 'active')],
};

describe('rules', () => {
  it('decodes the list and finds the version a rule is known by', () => {
    const list = decode(ruleList, { rules: [rule] });
    const r = list.rules[0];
    expect(r?.versions.map((v) => v.state)).toEqual(['draft', 'shadow', 'active']);
    expect(r && leadVersion(r)?.version).toBe(1);
    const noneActing = { ...rule, versions: [version(2, 'draft'), version(1, 'retired')] };
    const r2 = decode(ruleList, { rules: [noneActing] }).rules[0];
    expect(r2 && leadVersion(r2)?.version).toBe(2);
  });

  it('refuses a version without its expression', () => {
    const { expression: _, ...broken } = version(1, 'active');
    expect(() => decode(ruleList, { rules: [{ ...rule, versions: [broken] }] })).toThrow(
      'rules[0].versions[0].expression: expected a string',
    );
  });

  it('tells the test answers apart', () => {
    expect(decode(testAnswer, { mode: 'expression', matched: true, error: null, latencyUs: 12.5 })).toEqual({
      mode: 'expression',
      matched: true,
      error: null,
      latencyUs: 12.5,
    });
    const evaluation = {
      outcome: 'REVIEW',
      score: 40,
      reasonCodes: ['NIGHT_TRANSFER'],
      messageKey: 'risk.msg.review',
      warningKeys: [],
      withShadow: { outcome: 'BLOCK', score: 90 },
      hits: [
        {
          ruleId: 'night_transfer_block',
          version: 1,
          action: 'REVIEW',
          score: 40,
          reasonCode: 'NIGHT_TRANSFER',
          messageKey: 'risk.msg.review',
          warningKey: null,
          shadow: false,
        },
      ],
      errors: [],
      inputErrors: [],
      revision: '7',
      latency: { totalUs: 30, rules: [] },
    };
    const live = decode(testAnswer, { mode: 'live', evaluation });
    expect(live.mode === 'live' && live.evaluation.hits[0]?.reasonCode).toBe('NIGHT_TRANSFER');
    const stored = decode(testAnswer, { mode: 'rule', state: 'draft', evaluation });
    expect(stored.mode === 'rule' && stored.state).toBe('draft');
    expect(() => decode(testAnswer, { mode: 'guess' })).toThrow('mode: expected expression | rule | live');
  });

  it('reads an approval request or the rule from a lifecycle move', () => {
    const asked = decode(lifecycleAnswer, {
      id: 'apr_01',
      action: 'risk.rule.publish',
      summary: 'Activate version 1 of risk rule night_transfer_block',
      reason: 'clean shadow week',
      status: 'pending',
      maker: { id: 'stf_01', role: 'analyst' },
      checker: null,
      createdAt: '2026-11-21T10:00:00.000Z',
      expiresAt: '2026-11-22T10:00:00.000Z',
    });
    expect(asked.kind === 'approval' && asked.approval.id).toBe('apr_01');
    expect(decode(lifecycleAnswer, rule).kind).toBe('rule');
  });

  it('gives the position of a refused expression, and the field of a refused value', () => {
    const invalid = new ApiError(
      'RISK_RULE_INVALID',
      422,
      "Line 2, column 13: cannot compare int with string using '>'",
    );
    expect(ruleIssuesOf(invalid)).toEqual([
      { line: 2, column: 13, message: "cannot compare int with string using '>'" },
    ]);
    expect(
      ruleIssuesOf(new ApiError('RISK_RULE_INVALID', 422, 'Version 2 of rule x no longer compiles.')),
    ).toEqual([]);
    expect(ruleIssuesOf(new ApiError('VALIDATION_FAILED', 400, 'body/score: must be <= 1000'))).toBeNull();
    expect(fieldProblemOf(new ApiError('VALIDATION_FAILED', 400, 'body/score: must be <= 1000'))).toEqual({
      field: 'score',
      message: 'must be <= 1000',
    });
    expect(fieldProblemOf(new ApiError('RISK_RULE_STATE', 409, 'body/score: x'))).toBeNull();
  });
});
