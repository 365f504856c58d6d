/**
 * The permission matrix (I5): every role and what it may do, in one place. Each HTTP
 * route declares the permission it needs (or that it is public, or for the signed-in
 * customer only); a test walks every route × role against this table.
 *
 * Least privilege: support reads and helps customers, analysts decide risk holds and
 * write risk rules, compliance handles AML and personal-data requests and co-signs rule
 * publication, auditors only read (the audit log and the rules included), operations
 * run money operations, administrators manage staff and clients.
 * Sensitive actions are maker-checker: one person asks, another with the same permission
 * approves (`approvals.ts`).
 */
export const STAFF_ROLES = ['support', 'analyst', 'compliance', 'auditor', 'operations', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** An API client is an integrator's backend; a customer acts only for themselves. */
export type Role = StaffRole | 'integrator' | 'customer';
export const ALL_ROLES: readonly Role[] = [...STAFF_ROLES, 'integrator', 'customer'];

export const PERMISSIONS = {
  'customer.create': 'Register customers',
  'customer.read': 'Read customers, their wallets and verification tier (masked)',
  'customer.security': "Read a customer's sessions and devices and end their sessions",
  'wallet.open': 'Open wallets',
  'merchant.create': 'Register merchants',
  'merchant.read': 'Read merchants',
  'account.read': 'Read accounts, statements, top-ups, withdrawals and holds',
  'movement.create': 'Move money: transfers, payments, top-ups, withdrawals',
  'refund.create': 'Refund a payment (on the merchant side)',
  'kyc.submit': 'Submit real-name verification',
  'owner.freeze': 'Freeze a customer or merchant',
  'owner.unfreeze': 'Unfreeze a customer or merchant (maker-checker)',
  'hold.decide': 'Release or void a held movement',
  'withdrawal.review': 'Approve or reject a withdrawal held for review',
  'ledger.read': 'Read journal entries, decisions, the hash chain and custody',
  'ledger.adjust': 'Adjust a balance manually (maker-checker)',
  'limits.raise': "Raise a customer's limits (maker-checker)",
  'pii.reveal': 'Reveal one personal field with a stated reason (audited)',
  'pii.reveal.bulk': 'Export personal data in bulk (maker-checker)',
  'audit.read': 'Read and verify the audit log',
  'approval.read': 'See approval requests',
  'staff.read': 'See staff users',
  'staff.manage': 'Create staff users, change roles (maker-checker), disable staff',
  'apiclient.manage': 'Create and revoke API clients',
  'dashboard.read': 'See the live dashboard: volumes, decision rates, held amounts, custody, chain head',
  'rule.read': 'Read risk rules, their versions and the feature registry; test rules against an event',
  'rule.write': 'Write risk rule drafts, move them to shadow and retire versions that do not act',
  'rule.publish': 'Make a risk rule version act, or stop an acting one (maker-checker)',
  'risk.event': 'Ask the risk engine about an account event (sign-in, password change, binding…)',
  'risk.challenge': 'Confirm a risk challenge raised on an own request, after authenticating the customer',
  'risk.label': 'Report what a decision turned out to be: fraud, laundering or legitimate',
  'model.read': 'Read the model registry: versions, their training and metrics, status history',
  'model.write':
    'Register model versions, put them in shadow (challenger) or take them out, retire versions that do not serve',
  'model.publish': 'Make a model version the champion, or retire the champion (maker-checker)',
  'case.read': 'Read alerts, cases, disputes and feedback with their evidence and timelines',
  'case.work':
    'Work alerts and cases: take them, write notes, attach files, move them through their states, decide holds from them, close them with a disposition',
  'case.manage': 'Assign alerts and cases to others and act on cases assigned to someone else',
  'feedback.respond': "Answer users' feedback and complaints",
  'compensation.pay':
    'Compensate a user from the risk reserve for a loss on a case (maker-checker above the threshold)',
  'reserve.read': "Read the risk compensation reserve's balance, inflows and payouts",
  'reserve.fund': 'Move platform revenue into the risk compensation reserve',
  'notify.read': 'Read notification deliveries: webhook log, e-mail outbox',
  'notify.manage': 'Manage webhook endpoints and redeliver notifications',
} as const;
export type Permission = keyof typeof PERMISSIONS;

const READ_CUSTOMERS: Permission[] = ['customer.read', 'merchant.read', 'account.read'];
/** What every staff user can read: customers, merchants, accounts and the dashboard's aggregate figures. */
const STAFF_READ: Permission[] = [...READ_CUSTOMERS, 'dashboard.read'];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  support: [
    ...STAFF_READ,
    'customer.security',
    'owner.freeze',
    'pii.reveal',
    'approval.read',
    'case.read',
    'feedback.respond',
  ],
  analyst: [
    ...STAFF_READ,
    'customer.security',
    'owner.freeze',
    'owner.unfreeze',
    'hold.decide',
    'withdrawal.review',
    'ledger.read',
    'approval.read',
    'rule.read',
    'rule.write',
    'rule.publish',
    'risk.label',
    'model.read',
    'model.write',
    'model.publish',
    'case.read',
    'case.work',
    'feedback.respond',
    'compensation.pay',
    'reserve.read',
  ],
  compliance: [
    ...STAFF_READ,
    'owner.freeze',
    'owner.unfreeze',
    'ledger.read',
    'pii.reveal',
    'pii.reveal.bulk',
    'limits.raise',
    'audit.read',
    'approval.read',
    'rule.read',
    'rule.publish',
    'risk.label',
    'model.read',
    'model.publish',
    'case.read',
    'case.work',
    'case.manage',
    'feedback.respond',
    'compensation.pay',
    'reserve.read',
  ],
  auditor: [
    ...STAFF_READ,
    'ledger.read',
    'audit.read',
    'approval.read',
    'staff.read',
    'rule.read',
    'model.read',
    'case.read',
    'reserve.read',
    'notify.read',
  ],
  operations: [
    ...STAFF_READ,
    'merchant.create',
    'owner.freeze',
    'withdrawal.review',
    'ledger.read',
    'ledger.adjust',
    'limits.raise',
    'approval.read',
    'reserve.read',
    'reserve.fund',
    'notify.read',
    'notify.manage',
  ],
  admin: [
    ...STAFF_READ,
    'staff.read',
    'staff.manage',
    'apiclient.manage',
    'approval.read',
    'audit.read',
    'notify.read',
    'notify.manage',
  ],
  integrator: [
    'customer.create',
    'customer.read',
    'wallet.open',
    'merchant.create',
    'merchant.read',
    'account.read',
    'movement.create',
    'refund.create',
    'kyc.submit',
    'owner.freeze',
    'ledger.read',
    'risk.event',
    'risk.challenge',
    'risk.label',
  ],
  // Customers act only on what is theirs; routes check ownership on top of this.
  customer: ['customer.read', 'wallet.open', 'account.read', 'movement.create', 'kyc.submit'],
};

const GRANTS = new Map<Role, ReadonlySet<Permission>>(
  ALL_ROLES.map((role) => [role, new Set(ROLE_PERMISSIONS[role])]),
);

export function can(role: Role, permission: Permission): boolean {
  return GRANTS.get(role)?.has(permission) ?? false;
}

export function isStaffRole(value: string): value is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(value);
}

export function isRole(value: string): value is Role {
  return (ALL_ROLES as readonly string[]).includes(value);
}

/** Roles allowed to see personal data unmasked in ordinary responses: none; reveal is explicit. */
export function rolesWith(permission: Permission): Role[] {
  return ALL_ROLES.filter((r) => can(r, permission));
}
