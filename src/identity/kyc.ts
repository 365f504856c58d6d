import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { StoredResponse } from '../ledger/commands.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Executor } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { lookupIdempotent, runIdempotent } from '../platform/idempotency.ts';
import { newId } from '../platform/ids.ts';
import { CURRENCY_CODES, type Currency } from '../platform/money.ts';
import { writeOutbox } from '../platform/outbox.ts';
import { effectiveLimits, overrideLimits } from '../risk/limit-policy.ts';
import { type AuditEvent, appendAudit, auditOf } from '../security/audit.ts';
import { maskIdNumber, maskName } from '../security/mask.ts';
import { sealContext } from '../security/sealed-fields.ts';
import type { Vault } from '../security/vault.ts';
import type { RequestContext } from '../wallet/service.ts';
import { checkDocument, type DocumentCheck, type DocumentType } from './documents.ts';
import { asKycTier, type KycTier, type TierLimits, type TierTable } from './tiers.ts';

// ---------------------------------------------------------------------------------------
// The verification provider: the authority check of name and document number (basic) and
// the liveness check against the document photo (full). A real provider is an adapter
// behind this interface; the simulated one answers from the input, deterministically.
// ---------------------------------------------------------------------------------------

export interface IdentityCheckRequest {
  name: string;
  documentType: DocumentType;
  /** Normalised (checkDocument) before the provider sees it. */
  documentNumber: string;
}

export interface LivenessCheckRequest {
  /** An opaque reference to the customer; never personal data. */
  customerRef: string;
  /** References to uploaded images (upload ids), not the images. */
  documentImages: { front: string; back?: string };
  livenessSessionId: string;
}

export interface VerificationProvider {
  readonly name: string;
  verifyIdentity(
    request: IdentityCheckRequest,
  ): Promise<{ outcome: 'match' | 'mismatch'; reference: string }>;
  verifyLiveness(
    request: LivenessCheckRequest,
  ): Promise<{ outcome: 'pass' | 'fail'; score: number; reference: string }>;
}

/**
 * The provider of embedded mode, demos and tests; nothing leaves the process. Outcomes
 * follow from the input, so every path can be shown on purpose:
 *
 * - identity: a mainland resident ID whose sequence digits (characters 15–17) are `999`
 *   does not match the authority record, `998` never gets an answer (the call times out);
 *   for other document types the last three characters decide the same way. Anything
 *   else matches.
 * - liveness: a session id starting with `fail` fails (score 0.12), one starting with
 *   `slow` never gets an answer; anything else passes with score 0.98.
 */
export class SimulatedVerificationProvider implements VerificationProvider {
  readonly name = 'simulated';

  async verifyIdentity(
    request: IdentityCheckRequest,
  ): Promise<{ outcome: 'match' | 'mismatch'; reference: string }> {
    const marker =
      request.documentType === 'CN_RESIDENT_ID'
        ? request.documentNumber.slice(14, 17)
        : request.documentNumber.slice(-3);
    if (marker === '998') return never();
    return { outcome: marker === '999' ? 'mismatch' : 'match', reference: `sim-idv-${randomUUID()}` };
  }

  async verifyLiveness(
    request: LivenessCheckRequest,
  ): Promise<{ outcome: 'pass' | 'fail'; score: number; reference: string }> {
    if (request.livenessSessionId.startsWith('slow')) return never();
    const fail = request.livenessSessionId.startsWith('fail');
    return {
      outcome: fail ? 'fail' : 'pass',
      score: fail ? 0.12 : 0.98,
      reference: `sim-lv-${randomUUID()}`,
    };
  }
}

/** An answer that never comes: the caller's deadline decides. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

type Answer<T> = { ok: true; value: T } | { ok: false; reason: 'timeout' | 'error' };

/** Runs a provider call against a deadline; a late or failed call is an outcome, not an exception. */
async function withDeadline<T>(call: () => Promise<T>, deadlineMs: number): Promise<Answer<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Answer<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: 'timeout' }), deadlineMs);
  });
  const work = call().then(
    (value): Answer<T> => ({ ok: true, value }),
    (): Answer<T> => ({ ok: false, reason: 'error' }),
  );
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------
// The service: tiers 0 (unverified) → 1 (name and document match the authority record)
// → 2 (liveness against the document), each raise stored with its audit record and event.
// ---------------------------------------------------------------------------------------

export interface BasicKycInput {
  name: string;
  documentType: DocumentType;
  documentNumber: string;
}

export interface FullKycInput {
  documentImages: { front: string; back?: string };
  livenessSessionId: string;
}

export interface KycLimitView {
  currency: Currency;
  source: 'tier' | 'override';
  singleMinor: string;
  dailyMinor: string;
  monthlyMinor: string;
  balanceCapMinor: string;
}

/** What a customer, an integrator or staff see: masked values only. */
export interface KycStatusView {
  customerId: string;
  tier: KycTier;
  name: string | null;
  documentType: string | null;
  document: string | null;
  basicVerifiedAt: string | null;
  fullVerifiedAt: string | null;
  limits: KycLimitView[];
}

/** What the service needs from the risk gate: the tier table, and to forget a customer's cached tier. */
export interface KycLimitSource {
  readonly tiers: TierTable;
  forgetCustomer(customerId: string): void;
}

export interface KycSettings {
  /** How long one provider call may take before the attempt counts as unanswered. */
  deadlineMs: number;
  clock: Clock;
}

/** A verification done elsewhere (a previous platform, demo data), recorded without asking the provider. */
export interface ImportedVerification {
  customerId: string;
  tier: 1 | 2;
  name: string;
  documentType: DocumentType;
  documentNumber: string;
  basicVerifiedAt: Date;
  /** Tier 2 only. */
  fullVerifiedAt?: Date;
}

const DOCUMENT_REASONS: Record<Extract<DocumentCheck, { ok: false }>['reason'], string> = {
  FORMAT: 'The document number does not have the format of this document type.',
  CHECK_DIGIT: 'The check character of the resident ID number is wrong.',
  BIRTH_DATE: 'The birth date in the resident ID number is not a real date.',
  REGION: 'The region code of the resident ID number is not valid.',
};

const ALREADY_VERIFIED =
  'This customer is already verified with another identity document; changing it goes through support.';

type Level = 'basic' | 'full';

/**
 * Real-name verification (实名制). The name and document number are sealed under their
 * row's context, with a blind index of the number (one document, one verified customer)
 * and masked forms for display; nothing personal is logged, returned in clear or written
 * to the audit log. Every provider attempt, answered or not, leaves a `kyc_attempts` row;
 * a raise of the tier is stored with its audit record and outbox event in one transaction.
 */
export class KycService {
  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    private readonly provider: VerificationProvider,
    private readonly limits: KycLimitSource,
    readonly settings: KycSettings,
    private readonly log: Logger,
  ) {}

  /** Tier 0 → 1: the name and document number match the authority record. */
  async submitBasic(
    customerId: string,
    input: BasicKycInput,
    ctx: RequestContext,
  ): Promise<{ replayed: boolean; response: StoredResponse }> {
    const replay = await this.replay(ctx);
    if (replay) return replay;
    const tier = await this.tierOf(this.db, customerId);
    const name = input.name.trim().replace(/\s+/g, ' ');
    if (name === '') throw new AppError('VALIDATION_FAILED', 'name must not be blank.');
    const check = checkDocument(input.documentType, input.documentNumber, this.settings.clock.now());
    if (!check.ok) {
      await this.attempt(customerId, 'basic', 'invalid', `reason=${check.reason}`);
      throw new AppError('IDENTITY_DOCUMENT_INVALID', DOCUMENT_REASONS[check.reason], {
        reason: check.reason,
      });
    }
    const documentIndex = this.vault.blindIndex('document', check.normalised);
    const holder = await this.db
      .selectFrom('customer_kyc')
      .select('customer_id')
      .where('document_index', '=', documentIndex)
      .executeTakeFirst();
    if (holder && holder.customer_id !== customerId) {
      await this.attempt(customerId, 'basic', 'in_use', null);
      throw new AppError('IDENTITY_DOCUMENT_IN_USE');
    }
    if (tier >= 1) {
      // Asking again with the verified document is harmless; another document is a change of identity.
      if (holder)
        return { replayed: false, response: { statusCode: 200, body: await this.status(customerId) } };
      throw new AppError('KYC_ALREADY_VERIFIED', ALREADY_VERIFIED);
    }

    const answer = await this.ask('basic', customerId, () =>
      this.provider.verifyIdentity({
        name,
        documentType: input.documentType,
        documentNumber: check.normalised,
      }),
    );
    await this.attempt(customerId, 'basic', answer.outcome, `ref=${answer.reference}`);
    if (answer.outcome === 'mismatch') throw new AppError('KYC_MISMATCH');

    const nameMasked = maskName(name);
    const documentMasked = maskIdNumber(check.normalised);
    const result = await runIdempotent(this.db, ctx.idem, async (tx) => {
      const now = this.settings.clock.now();
      if ((await this.tierOf(tx, customerId, true)) >= 1)
        throw new AppError('KYC_ALREADY_VERIFIED', ALREADY_VERIFIED);
      await tx
        .insertInto('customer_kyc')
        .values({
          customer_id: customerId,
          name_sealed: this.vault.seal(name, sealContext('customer_kyc', 'name_sealed', customerId)),
          name_masked: nameMasked,
          document_type: input.documentType,
          document_sealed: this.vault.seal(
            check.normalised,
            sealContext('customer_kyc', 'document_sealed', customerId),
          ),
          document_index: documentIndex,
          document_masked: documentMasked,
          provider: this.provider.name,
          basic_ref: answer.reference,
          basic_verified_at: now,
          updated_at: now,
        })
        .execute();
      await tx.updateTable('customers').set({ kyc_tier: 1 }).where('id', '=', customerId).execute();
      await appendAudit(tx, [
        auditOf(
          ctx,
          'kyc.tier.raise',
          { type: 'customer', id: customerId },
          {
            before: { tier: '0' },
            after: {
              tier: '1',
              level: 'basic',
              name: nameMasked,
              documentType: input.documentType,
              document: documentMasked,
              provider: this.provider.name,
            },
          },
          now,
        ),
      ]);
      await writeOutbox(tx, [verifiedEvent(customerId, 1, 'basic', this.provider.name)]);
      return { statusCode: 200, body: await this.statusIn(tx, customerId) };
    }).catch((err: unknown) => {
      // Another customer's verification of the same document committed first.
      if (isUniqueViolation(err)) throw new AppError('IDENTITY_DOCUMENT_IN_USE');
      throw err;
    });
    if (!result.replayed) this.limits.forgetCustomer(customerId);
    return result;
  }

  /** Tier 1 → 2: a liveness check against the document photo. */
  async submitFull(
    customerId: string,
    input: FullKycInput,
    ctx: RequestContext,
  ): Promise<{ replayed: boolean; response: StoredResponse }> {
    const replay = await this.replay(ctx);
    if (replay) return replay;
    const tier = await this.tierOf(this.db, customerId);
    if (tier === 0) throw new AppError('KYC_TIER_REQUIRED', 'Complete basic verification first.');
    if (tier === 2)
      return { replayed: false, response: { statusCode: 200, body: await this.status(customerId) } };

    const answer = await this.ask('full', customerId, () =>
      this.provider.verifyLiveness({
        customerRef: customerId,
        documentImages: input.documentImages,
        livenessSessionId: input.livenessSessionId,
      }),
    );
    await this.attempt(customerId, 'full', answer.outcome, `ref=${answer.reference} score=${answer.score}`);
    if (answer.outcome === 'fail') throw new AppError('KYC_LIVENESS_FAILED');

    const result = await runIdempotent(this.db, ctx.idem, async (tx) => {
      const now = this.settings.clock.now();
      const current = await this.tierOf(tx, customerId, true);
      if (current === 0) throw new AppError('KYC_TIER_REQUIRED', 'Complete basic verification first.');
      if (current === 1) {
        const images: Record<string, string> = { front: input.documentImages.front };
        if (input.documentImages.back !== undefined) images.back = input.documentImages.back;
        await tx
          .updateTable('customer_kyc')
          .set({
            images: JSON.stringify(images),
            liveness_ref: input.livenessSessionId,
            liveness_score: answer.score,
            full_ref: answer.reference,
            full_verified_at: now,
            updated_at: now,
          })
          .where('customer_id', '=', customerId)
          .execute();
        await tx.updateTable('customers').set({ kyc_tier: 2 }).where('id', '=', customerId).execute();
        await appendAudit(tx, [
          auditOf(
            ctx,
            'kyc.tier.raise',
            { type: 'customer', id: customerId },
            { before: { tier: '1' }, after: { tier: '2', level: 'full', provider: this.provider.name } },
            now,
          ),
        ]);
        await writeOutbox(tx, [verifiedEvent(customerId, 2, 'full', this.provider.name)]);
      }
      return { statusCode: 200, body: await this.statusIn(tx, customerId) };
    });
    if (!result.replayed) this.limits.forgetCustomer(customerId);
    return result;
  }

  /** The customer's tier, masked identity, verification dates and current limits. */
  async status(customerId: string): Promise<KycStatusView> {
    return this.statusIn(this.db, customerId);
  }

  /**
   * Records verifications already performed elsewhere (a migration from a previous
   * platform, the demo data set) in one transaction, with the same sealing, audit records
   * and events as a verification through the provider; the provider is not asked.
   */
  async importVerified(
    entries: readonly ImportedVerification[],
    actor: { type: AuditEvent['actorType']; id: string },
    source = 'import',
  ): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e) => {
      const check = checkDocument(e.documentType, e.documentNumber, e.basicVerifiedAt);
      if (!check.ok) throw new Error(`imported verification of ${e.customerId}: document ${check.reason}`);
      const name = e.name.trim().replace(/\s+/g, ' ');
      const full = e.tier === 2 ? (e.fullVerifiedAt ?? e.basicVerifiedAt) : null;
      return {
        entry: e,
        row: {
          customer_id: e.customerId,
          name_sealed: this.vault.seal(name, sealContext('customer_kyc', 'name_sealed', e.customerId)),
          name_masked: maskName(name),
          document_type: e.documentType,
          document_sealed: this.vault.seal(
            check.normalised,
            sealContext('customer_kyc', 'document_sealed', e.customerId),
          ),
          document_index: this.vault.blindIndex('document', check.normalised),
          document_masked: maskIdNumber(check.normalised),
          provider: source,
          basic_ref: `${source}-${e.customerId}`,
          basic_verified_at: e.basicVerifiedAt,
          images: null,
          liveness_ref: null,
          liveness_score: null,
          full_ref: full ? `${source}-${e.customerId}` : null,
          full_verified_at: full,
          updated_at: full ?? e.basicVerifiedAt,
        },
      };
    });
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('customer_kyc')
        .values(rows.map((r) => r.row))
        .execute();
      for (const tier of [1, 2] as const) {
        const ids = entries.filter((e) => e.tier === tier).map((e) => e.customerId);
        if (ids.length > 0)
          await tx.updateTable('customers').set({ kyc_tier: tier }).where('id', 'in', ids).execute();
      }
      await appendAudit(
        tx,
        rows.map(({ entry, row }) => ({
          actorType: actor.type,
          actorId: actor.id,
          action: 'kyc.tier.raise',
          targetType: 'customer',
          targetId: entry.customerId,
          before: { tier: '0' },
          after: {
            tier: String(entry.tier),
            level: entry.tier === 2 ? 'full' : 'basic',
            name: row.name_masked,
            documentType: row.document_type,
            document: row.document_masked,
            provider: source,
          },
          reason: `verification imported from ${source}`,
          at: row.updated_at,
        })),
      );
      await writeOutbox(
        tx,
        entries.map((e) => verifiedEvent(e.customerId, e.tier, e.tier === 2 ? 'full' : 'basic', source)),
      );
    });
    for (const e of entries) this.limits.forgetCustomer(e.customerId);
  }

  private async statusIn(executor: Executor, customerId: string): Promise<KycStatusView> {
    const tier = await this.tierOf(executor, customerId);
    const kyc = await executor
      .selectFrom('customer_kyc')
      .select(['name_masked', 'document_type', 'document_masked', 'basic_verified_at', 'full_verified_at'])
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    const overrideRows = await executor
      .selectFrom('customer_limit_overrides')
      .select(['currency', 'single_minor', 'daily_minor', 'monthly_minor', 'balance_cap_minor'])
      .where('customer_id', '=', customerId)
      .execute();
    const overrides = new Map<Currency, TierLimits>();
    for (const r of overrideRows) {
      const entry = overrideLimits(r);
      if (entry) overrides.set(...entry);
    }
    const limits: KycLimitView[] = [];
    for (const currency of CURRENCY_CODES) {
      const eff = effectiveLimits(this.limits.tiers, tier, overrides, currency);
      if (!eff.limits) continue;
      limits.push({
        currency,
        source: eff.source,
        singleMinor: eff.limits.singleMinor.toString(),
        dailyMinor: eff.limits.dailyMinor.toString(),
        monthlyMinor: eff.limits.monthlyMinor.toString(),
        balanceCapMinor: eff.limits.balanceCapMinor.toString(),
      });
    }
    return {
      customerId,
      tier,
      name: kyc?.name_masked ?? null,
      documentType: kyc?.document_type ?? null,
      document: kyc?.document_masked ?? null,
      basicVerifiedAt: kyc?.basic_verified_at.toISOString() ?? null,
      fullVerifiedAt: kyc?.full_verified_at?.toISOString() ?? null,
      limits,
    };
  }

  /** The customer's tier; `lock` holds the row until the transaction ends (one raise at a time). */
  private async tierOf(executor: Executor, customerId: string, lock = false): Promise<KycTier> {
    let query = executor.selectFrom('customers').select('kyc_tier').where('id', '=', customerId);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw new AppError('WALLET_CUSTOMER_NOT_FOUND', `Customer ${customerId} does not exist.`);
    return asKycTier(row.kyc_tier);
  }

  /** A stored answer for this Idempotency-Key, so a retry never asks the provider again. */
  private async replay(
    ctx: RequestContext,
  ): Promise<{ replayed: true; response: StoredResponse } | undefined> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .select('key')
      .where('scope', '=', ctx.idem.scope)
      .where('key', '=', ctx.idem.key)
      .executeTakeFirst();
    if (!row) return undefined;
    return { replayed: true, response: await lookupIdempotent(this.db, ctx.idem) };
  }

  /** One provider call under the deadline; no answer is recorded as an attempt and refused with 503. */
  private async ask<T>(level: Level, customerId: string, call: () => Promise<T>): Promise<T> {
    const answer = await withDeadline(call, this.settings.deadlineMs);
    if (answer.ok) return answer.value;
    this.log.warn(
      { provider: this.provider.name, level, customerId, reason: answer.reason },
      'verification provider did not answer',
    );
    await this.attempt(
      customerId,
      level,
      answer.reason,
      answer.reason === 'timeout' ? `deadline ${this.settings.deadlineMs} ms` : 'provider error',
    );
    throw new AppError('KYC_PROVIDER_UNAVAILABLE');
  }

  private async attempt(customerId: string, level: Level, outcome: string, detail: string | null) {
    await this.db
      .insertInto('kyc_attempts')
      .values({
        id: newId('kyc'),
        customer_id: customerId,
        level,
        outcome,
        provider: this.provider.name,
        detail,
        created_at: this.settings.clock.now(),
      })
      .execute();
  }
}

function verifiedEvent(customerId: string, tier: KycTier, level: Level, provider: string) {
  return {
    topic: 'identity.kyc.verified',
    aggregateId: customerId,
    payload: { customerId, tier, level, provider },
  };
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === '23505';
}
