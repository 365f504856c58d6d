import type { LedgerService } from '../ledger/service.ts';
import type { Db } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import type { Currency } from '../platform/money.ts';

export interface WalletRef {
  id: string;
  currency: Currency;
  customerId: string;
}

export interface MerchantRef {
  id: string;
  name: string;
  feeBps: number;
  status: string;
  accounts: Map<Currency, string>;
}

const WALLETS_MAX = 100_000;
const MERCHANT_TTL_MS = 30_000;

/**
 * Caches what never changes about a wallet (its currency and owner) and, briefly, a
 * merchant's fee and accounts, so the hot path does not read them per request.
 * Status is not cached: the ledger checks it under lock in the posting transaction.
 */
export class Directory {
  private readonly wallets = new Map<string, WalletRef>();
  private readonly merchants = new Map<string, { ref: MerchantRef; at: number }>();

  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerService,
  ) {}

  async wallet(id: string): Promise<WalletRef> {
    const cached = this.wallets.get(id);
    if (cached) return cached;
    const row = await this.db
      .selectFrom('ledger_accounts')
      .select(['id', 'currency', 'owner_id', 'kind'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || row.kind !== 'customer_wallet') {
      throw new AppError('WALLET_NOT_FOUND', `Wallet ${id} does not exist.`, { walletId: id });
    }
    const ref: WalletRef = { id: row.id, currency: row.currency as Currency, customerId: row.owner_id };
    if (this.wallets.size >= WALLETS_MAX) this.wallets.clear();
    this.wallets.set(id, ref);
    return ref;
  }

  async merchant(id: string): Promise<MerchantRef> {
    const cached = this.merchants.get(id);
    if (cached && Date.now() - cached.at < MERCHANT_TTL_MS) return cached.ref;
    const row = await this.db.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row)
      throw new AppError('WALLET_MERCHANT_NOT_FOUND', `Merchant ${id} does not exist.`, { merchantId: id });
    const accounts = await this.ledger.accountsOf(id);
    const ref: MerchantRef = {
      id: row.id,
      name: row.name,
      feeBps: row.fee_bps,
      status: row.status,
      accounts: new Map(accounts.filter((a) => a.kind === 'merchant').map((a) => [a.currency, a.id])),
    };
    this.merchants.set(id, { ref, at: Date.now() });
    return ref;
  }

  forgetMerchant(id: string): void {
    this.merchants.delete(id);
  }
}
