import type { Kysely } from 'kysely';
import { runStatements } from './run-statements.ts';

/**
 * Indexes for the staff console's read API (`src/console-api/`). Every list there pages
 * by keyset, newest (or, for the review queue, oldest) first; each index below is the
 * order one of those lists walks, so a page reads about `limit` index entries however
 * large the journal grows. Partial where most rows would never be asked for.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    -- The journal by time: the entries list, its date filters and the dashboard's last hour.
    create index ledger_entries_occurred on ledger_entries (occurred_at, seq);
    -- Filtering the journal by a kind that is rare (adjustments, reversals) must not scan it all.
    create index ledger_entries_kind_occurred on ledger_entries (kind, occurred_at, seq);

    -- The decision stream by time (and the dashboard's last 24 hours).
    create index risk_decisions_created on risk_decisions (created_at, id);
    -- Decisions other than ALLOW are the few an analyst filters for; ALLOW needs no index of its own.
    create index risk_decisions_flagged on risk_decisions (outcome, created_at, id) where outcome <> 'ALLOW';

    -- Holds by status in queue order: the pending review queue oldest first, the others newest first.
    create index ledger_holds_status_created on ledger_holds (status, created_at, id);

    -- The customer list newest first, and the case-insensitive display-name prefix search.
    create index customers_created on customers (created_at, id);
    create index customers_name_prefix on customers (lower(display_name) text_pattern_ops, created_at);
  `,
  );
}
