import type { Permission } from '../../../../src/access/permissions.ts';
import { ENTITY_KINDS, type EntityKind } from '../../../../src/cases/model.ts';
import type { CaseDetail } from '../../api/cases.ts';

/**
 * The case's network as nodes and labelled edges: the subject, each alert's decision with
 * the payee, device, address and hold it names, and every other linked entity tied to the
 * subject. Pure, so the layout's input is tested without a browser.
 */

export type Relation = 'initiated' | 'payee' | 'held' | 'device' | 'ip' | 'withdrawal' | 'linked';

export interface NetworkNode {
  /** `kind:ref`, unique in the graph. */
  id: string;
  kind: EntityKind;
  ref: string;
  subject: boolean;
  /** The console page of the entity, or null when it has none. */
  href: string | null;
}

export interface NetworkEdge {
  id: string;
  source: string;
  target: string;
  relation: Relation;
}

export interface Network {
  nodes: NetworkNode[];
  edges: NetworkEdge[];
  /** Entities left out to keep the graph readable. */
  omitted: number;
}

/** The most nodes drawn; a case with more lists the rest under "linked entities" only. */
export const NETWORK_NODES_MAX = 120;

/** Which entities have a page of their own, and the permission it needs. */
const PAGES: Partial<Record<EntityKind, { path: (id: string) => string; permission: Permission }>> = {
  customer: { path: (id) => `/customers/${encodeURIComponent(id)}`, permission: 'customer.read' },
  hold: { path: (id) => `/holds/${encodeURIComponent(id)}`, permission: 'account.read' },
  decision: { path: (id) => `/decisions/${encodeURIComponent(id)}`, permission: 'ledger.read' },
  transaction: { path: (id) => `/ledger/entries/${encodeURIComponent(id)}`, permission: 'ledger.read' },
};

/** The page of an entity the user may open, or null. */
export function entityHref(kind: string, id: string, can: (p: Permission) => boolean): string | null {
  if (!isEntityKind(kind)) return null;
  const page = PAGES[kind];
  return page && can(page.permission) ? page.path(id) : null;
}

export function isEntityKind(v: string): v is EntityKind {
  return (ENTITY_KINDS as readonly string[]).includes(v);
}

/** A party's kind from its id's prefix (a counterparty is a customer or a merchant). */
function partyKind(id: string): EntityKind | null {
  if (id.startsWith('cus_')) return 'customer';
  if (id.startsWith('mer_')) return 'merchant';
  if (id.startsWith('acct_')) return 'account';
  return null;
}

export function caseNetwork(c: CaseDetail, can: (p: Permission) => boolean): Network {
  const nodes = new Map<string, NetworkNode>();
  const edges = new Map<string, NetworkEdge>();
  let omitted = 0;

  const node = (kind: EntityKind, ref: string, subject = false): string | null => {
    const id = `${kind}:${ref}`;
    const existing = nodes.get(id);
    if (existing) {
      if (subject) existing.subject = true;
      return id;
    }
    if (nodes.size >= NETWORK_NODES_MAX) {
      omitted += 1;
      return null;
    }
    nodes.set(id, { id, kind, ref, subject, href: entityHref(kind, ref, can) });
    return id;
  };
  const edge = (source: string | null, target: string | null, relation: Relation) => {
    if (source === null || target === null || source === target) return;
    const id = `${source}>${target}`;
    if (!edges.has(id)) edges.set(id, { id, source, target, relation });
  };

  const subjectKind = c.subjectId ? partyKind(c.subjectId) : null;
  const subject = c.subjectId && subjectKind ? node(subjectKind, c.subjectId, true) : null;

  for (const a of c.alerts) {
    const actorKind = a.subjectId ? partyKind(a.subjectId) : null;
    const actor = a.subjectId && actorKind ? node(actorKind, a.subjectId) : subject;
    // An alert without a decision (a report, a dispute) ties its entities to the subject below.
    if (!a.decisionId) continue;
    const decision = node('decision', a.decisionId);
    edge(actor, decision, 'initiated');
    const { counterpartyId, deviceId, ip } = a.evidence.input;
    const cpKind = counterpartyId ? partyKind(counterpartyId) : null;
    if (counterpartyId && cpKind) edge(decision, node(cpKind, counterpartyId), 'payee');
    if (deviceId) edge(decision, node('device', deviceId), 'device');
    if (ip) edge(decision, node('ip', ip), 'ip');
    if (a.holdId) edge(decision, node('hold', a.holdId), 'held');
    if (a.withdrawalId) edge(decision, node('withdrawal', a.withdrawalId), 'withdrawal');
  }
  for (const h of c.holds) {
    if (h.decisionId) edge(node('decision', h.decisionId), node('hold', h.id), 'held');
  }
  for (const e of c.entities) {
    if (!isEntityKind(e.kind)) continue;
    const known = nodes.has(`${e.kind}:${e.id}`);
    const id = node(e.kind, e.id);
    if (!known) edge(subject, id, 'linked');
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], omitted };
}
