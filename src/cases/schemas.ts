import { Type } from 'typebox';

/** The maker-checker action for a compensation above the threshold. */
export const COMPENSATION_ACTION = 'compensation.pay';

export const CompensationInput = Type.Object(
  {
    caseId: Type.String({ pattern: '^cas_[0-9a-z]{26}$' }),
    walletId: Type.String({ pattern: '^acct_[0-9a-z]{26}$' }),
    amountMinor: Type.String({ pattern: '^[1-9][0-9]{0,17}$' }),
    compensationId: Type.String({ pattern: '^cmp_[0-9a-z]{26}$' }),
  },
  { additionalProperties: false },
);
