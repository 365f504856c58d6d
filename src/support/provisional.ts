import type { Updateable } from 'kysely';
import type { Logger } from 'pino';
import { caseEvent } from '../cases/intake.ts';
import type { Reserve } from '../cases/reserve.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db, Tx } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { writeOutbox } from '../platform/outbox.ts';
import { type Actor, SYSTEM_ACTOR } from './model.ts';
import { loadDispute, lockDispute, updateDispute } from './store.ts';
import type { ProvisionalStatus, SupportDisputesTable } from './tables.ts';
import { disputeEvent } from './views.ts';

export interface ProvisionalDeps {
  db: Db;
  reserve: Pick<Reserve, 'credit' | 'reverseCredit'>;
  clock: Clock;
  log: Logger;
}

/**
 * A dispute's provisional credit from the risk reserve, and its reversal. Each posting
 * and the dispute's record of it commit in one ledger transaction (the reserve's `inTx`),
 * so `pending` and `reversal_due` mean "not posted" and are safe to retry; a refusal is
 * recorded with its reason on the case timeline.
 */
export class ProvisionalCredits {
  constructor(private readonly deps: ProvisionalDeps) {}

  private now(): Date {
    return this.deps.clock.now();
  }

  /**
   * Pays a pending provisional credit from the reserve. The posting and the dispute's move
   * to `paid` commit together, so a dispute still `pending` was never paid and may be
   * retried; a refusal (the reserve is short, the wallet is frozen) is recorded as `failed`.
   */
  async pay(id: string): Promise<void> {
    const d = await loadDispute(this.deps.db, id);
    if (!d || d.provisional_status !== 'pending') return;
    const amountMinor = BigInt(d.amount_minor);
    await this.post(id, { from: 'pending', refused: 'failed', tellUser: true }, () =>
      this.deps.reserve.credit({
        customerId: d.customer_id,
        walletId: d.wallet_id,
        currency: d.currency,
        amountMinor,
        kind: 'provisional_credit',
        caseId: d.case_id,
        reason: `Provisional credit while dispute ${d.id} is decided`,
        actor: SYSTEM_ACTOR,
        inTx: (tx, entryId) =>
          this.posted(tx, id, 'pending', SYSTEM_ACTOR, {
            change: { provisional_status: 'paid', provisional_entry_id: entryId },
            event: 'dispute.provisional_credit.paid',
            detail: { entryId, amountMinor: amountMinor.toString(), currency: d.currency },
          }),
      }),
    );
  }

  /**
   * Takes back a provisional credit whose dispute ended. If the wallet cannot cover it the
   * decision stands: the failure is recorded on the case timeline for a person to handle.
   */
  async reverse(id: string, actor: Actor, reason: string): Promise<void> {
    const d = await loadDispute(this.deps.db, id);
    if (!d || d.provisional_status !== 'reversal_due' || d.provisional_entry_id === null) return;
    const entryId = d.provisional_entry_id;
    await this.post(id, { from: 'reversal_due', refused: 'reversal_failed', tellUser: false }, () =>
      this.deps.reserve.reverseCredit(entryId, reason, actor, (tx, reversalId) =>
        this.posted(tx, id, 'reversal_due', actor, {
          change: { provisional_status: 'reversed', provisional_reversal_id: reversalId },
          event: 'dispute.provisional_credit.reversed',
          detail: { entryId, reversalId },
        }),
      ),
    );
  }

  /**
   * Runs a reserve posting. A refusal (a 4xx: the reserve is short, the wallet is frozen or
   * cannot cover a reversal) is final and recorded as `refused`; anything else leaves the
   * dispute at `from` for the maintenance round to retry.
   */
  private async post(
    id: string,
    step: { from: ProvisionalStatus; refused: ProvisionalStatus; tellUser: boolean },
    posting: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await posting();
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        await this.refused(id, step.from, step.refused, err, step.tellUser);
      } else {
        this.deps.log.warn(
          { err, disputeId: id, provisionalStatus: step.from },
          'provisional credit posting failed; will retry',
        );
      }
    }
  }

  /**
   * Inside the posting's own transaction: records it on the dispute, its case timeline and
   * the outbox. A dispute that no longer waits for it (another process posted it, or the
   * dispute ended meanwhile) throws, which rolls the posting back.
   */
  private async posted(
    tx: Tx,
    id: string,
    from: ProvisionalStatus,
    actor: Actor,
    p: { change: Updateable<SupportDisputesTable>; event: string; detail: Record<string, unknown> },
  ): Promise<void> {
    const current = await lockDispute(tx, id);
    if (current?.provisional_status !== from) throw new Error(`dispute ${id} is no longer ${from}`);
    const now = this.now();
    await updateDispute(tx, id, { ...p.change, updated_at: now });
    await caseEvent(tx, current.case_id, actor, p.event, { disputeId: id, ...p.detail }, now);
    await writeOutbox(tx, [disputeEvent('updated', current)]);
  }

  /**
   * Records a refused posting as final (`to`), with its reason, on the dispute and its case
   * timeline; a refused credit is also told to the user (a refused reversal is for staff).
   */
  private async refused(
    id: string,
    from: ProvisionalStatus,
    to: ProvisionalStatus,
    err: AppError,
    tellUser: boolean,
  ): Promise<void> {
    await this.deps.db.transaction().execute(async (tx) => {
      const d = await lockDispute(tx, id);
      if (d?.provisional_status !== from) return;
      const now = this.now();
      const note = `${err.code}: ${err.message}`.slice(0, 500);
      await updateDispute(tx, id, { provisional_status: to, provisional_note: note, updated_at: now });
      await caseEvent(
        tx,
        d.case_id,
        SYSTEM_ACTOR,
        to === 'failed' ? 'dispute.provisional_credit.failed' : 'dispute.provisional_credit.reversal_failed',
        {
          disputeId: id,
          code: err.code,
          detail: err.message,
          ...(to === 'reversal_failed'
            ? { entryId: d.provisional_entry_id, action: 'Recover the provisional credit by hand.' }
            : {}),
        },
        now,
      );
      if (tellUser) await writeOutbox(tx, [disputeEvent('updated', d)]);
    });
  }
}
