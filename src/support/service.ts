import type { Logger } from 'pino';
import type { Reserve } from '../cases/reserve.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db.ts';
import type { WalletService } from '../wallet/service.ts';
import { DisputeService } from './disputes.ts';
import { FeedbackService } from './feedback.ts';
import { ReportService } from './reports.ts';
import { feedbackSummary } from './summary.ts';

const SUMMARY_DEFAULT_DAYS = 30;

export interface SupportDeps {
  db: Db;
  ledger: LedgerService;
  wallet: Pick<WalletService, 'refund' | 'applyOwnerStatus' | 'ownerStatusCommitted'>;
  reserve: Pick<Reserve, 'credit' | 'reverseCredit'>;
  clock: Clock;
  log: Logger;
  /** Feeds decisions that just got their first fraud label to the engine's label features (after commit). */
  fraudLabelled?: (decisionIds: string[], at: Date) => Promise<void>;
}

/**
 * The support module (K2, K3, K6 and self-service protection): disputes, feedback and
 * complaints, scam and compromised-account reports, and customer education. Cases come
 * from `cases/intake.ts`; money moves through the wallet's refund path and the risk reserve.
 */
export class SupportService {
  readonly disputes: DisputeService;
  readonly feedback: FeedbackService;
  readonly reports: ReportService;

  constructor(private readonly deps: SupportDeps) {
    this.disputes = new DisputeService(deps);
    this.feedback = new FeedbackService(deps);
    this.reports = new ReportService({ ...deps, feedback: this.feedback });
  }

  /** The feedback summary over [from, to): by default the 30 days up to now. */
  summary(range: { from?: Date | undefined; to?: Date | undefined }) {
    const now = this.deps.clock.now();
    const to = range.to ?? now;
    const from = range.from ?? new Date(to.getTime() - SUMMARY_DEFAULT_DAYS * 86_400_000);
    return feedbackSummary(this.deps.db, { from, to }, now);
  }

  /**
   * The maintenance round's work, idempotent: escalates feedback with no human answer by
   * its due time (once each), marks disputes past their due time (once each), and
   * finishes provisional credits and reversals that a crash interrupted.
   */
  async runDue(
    now: Date,
  ): Promise<{ escalatedFeedback: number; overdueDisputes: number; provisionalRetried: number }> {
    const escalatedFeedback = await this.feedback.escalateDue(now);
    const d = await this.disputes.runDue(now);
    return { escalatedFeedback, overdueDisputes: d.overdue, provisionalRetried: d.provisionalRetried };
  }
}
