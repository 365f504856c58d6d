// The case's network as the graph draws it: each decision links the customer to the payee, device, address and hold it names; two decisions sharing a device meet at one node; other linked entities hang off the customer; only entities with a page the user may open are clickable; the graph has a size limit.
import { describe, expect, it } from 'vitest';
import type { Permission } from '../../../../src/access/permissions.ts';
import { type Alert, type CaseDetail, evidence } from '../../api/cases.ts';
import { decode } from '../../api/decode.ts';
import { caseNetwork, NETWORK_NODES_MAX } from './network.ts';

const SUBJECT = 'cus_01m80sgjdnsbmms6ffwb353q1c';
const PAYEE = 'cus_01m80sgjqx449hx1cw1hc6qc98';
const all = () => true;

function alertOf(n: number, input: Record<string, unknown>): Alert {
  return {
    id: `alt_${n}`,
    source: 'decision',
    type: 'risk.review',
    severity: 'medium',
    priority: 299,
    status: 'open',
    caseId: 'cas_1',
    subjectId: SUBJECT,
    amountMinor: '2000000',
    currency: 'CNY',
    decisionId: `dec_${n}`,
    holdId: `hold_${n}`,
    withdrawalId: null,
    title: 'Transfer held for review',
    dueAt: '2026-11-22T06:51:27.703Z',
    overdue: false,
    createdAt: '2026-11-22T04:51:27.703Z',
    sourceRef: `dec_${n}`,
    entities: [],
    evidence: decode(evidence, { input }),
    closedAt: null,
  };
}

function caseOf(alerts: Alert[], entities: Array<{ kind: string; id: string }> = []): CaseDetail {
  return {
    id: 'cas_1',
    kind: 'risk',
    status: 'open',
    subjectId: SUBJECT,
    title: '',
    severity: 'medium',
    priority: 299,
    assigneeId: null,
    disposition: null,
    summary: null,
    lossMinor: null,
    currency: 'CNY',
    dueAt: '2026-11-22T06:51:27.703Z',
    overdue: false,
    version: 1,
    reopened: 0,
    createdAt: '2026-11-22T04:51:27.703Z',
    updatedAt: null,
    decidedAt: null,
    closedAt: null,
    alerts,
    entities: entities.map((e) => ({ ...e, addedAt: null })),
    holds: [],
    withdrawals: [],
    timeline: [],
    attachments: [],
    compensations: [],
  };
}

describe('the case network', () => {
  it('links the customer through each decision to its payee, device, address and hold', () => {
    const net = caseNetwork(
      caseOf([
        alertOf(1, { counterpartyId: PAYEE, deviceId: 'dev-1', ip: '203.0.113.7' }),
        alertOf(2, { counterpartyId: PAYEE, deviceId: 'dev-1', ip: '198.51.100.2' }),
      ]),
      all,
    );
    const edges = net.edges.map((e) => `${e.source} -${e.relation}-> ${e.target}`).sort();
    expect(edges).toEqual(
      [
        `customer:${SUBJECT} -initiated-> decision:dec_1`,
        `customer:${SUBJECT} -initiated-> decision:dec_2`,
        `decision:dec_1 -payee-> customer:${PAYEE}`,
        `decision:dec_2 -payee-> customer:${PAYEE}`,
        'decision:dec_1 -device-> device:dev-1',
        'decision:dec_2 -device-> device:dev-1',
        'decision:dec_1 -ip-> ip:203.0.113.7',
        'decision:dec_2 -ip-> ip:198.51.100.2',
        'decision:dec_1 -held-> hold:hold_1',
        'decision:dec_2 -held-> hold:hold_2',
      ].sort(),
    );
    // One payee and one device, shared by both decisions.
    expect(net.nodes.filter((n) => n.kind === 'device')).toHaveLength(1);
    expect(net.nodes.filter((n) => n.kind === 'customer')).toHaveLength(2);
    expect(net.nodes.find((n) => n.subject)?.ref).toBe(SUBJECT);
    expect(net.omitted).toBe(0);
  });

  it('hangs other linked entities off the customer, and opens only the pages the role may see', () => {
    const onlyCustomers = (p: Permission) => p === 'customer.read';
    const net = caseNetwork(
      caseOf(
        [alertOf(1, {})],
        [
          { kind: 'customer', id: SUBJECT },
          { kind: 'transaction', id: 'txn_9' },
          { kind: 'decision', id: 'dec_1' },
          { kind: 'spaceship', id: 'x' },
        ],
      ),
      onlyCustomers,
    );
    expect(net.edges.find((e) => e.target === 'transaction:txn_9')).toMatchObject({
      source: `customer:${SUBJECT}`,
      relation: 'linked',
    });
    // Already drawn through its alert: not linked twice.
    expect(net.edges.filter((e) => e.target === 'decision:dec_1')).toHaveLength(1);
    expect(net.nodes.some((n) => n.ref === 'x')).toBe(false);
    expect(net.nodes.find((n) => n.kind === 'customer')?.href).toBe(`/customers/${SUBJECT}`);
    expect(net.nodes.find((n) => n.kind === 'transaction')?.href).toBeNull();
    expect(caseNetwork(caseOf([alertOf(1, {})]), all).nodes.find((n) => n.kind === 'decision')?.href).toBe(
      '/decisions/dec_1',
    );
  });

  it('draws at most the limit and counts what it left out', () => {
    const many = Array.from({ length: NETWORK_NODES_MAX + 10 }, (_, i) => ({
      kind: 'device',
      id: `dev-${i}`,
    }));
    const net = caseNetwork(caseOf([], many), all);
    expect(net.nodes).toHaveLength(NETWORK_NODES_MAX);
    expect(net.omitted).toBe(11);
  });
});
