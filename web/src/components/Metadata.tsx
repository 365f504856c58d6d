import { Anchor, Table } from '@mantine/core';
import { Link } from 'react-router';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.tsx';

const LABELS: Record<string, MessageKey> = {
  memo: 'meta.memo',
  payerId: 'meta.payerId',
  payeeId: 'meta.payeeId',
  merchantId: 'meta.merchantId',
  orderRef: 'meta.orderRef',
  paymentId: 'meta.paymentId',
  feeMinor: 'meta.feeMinor',
  reason: 'meta.reason',
  channel: 'meta.channel',
  holdPostReason: 'meta.holdPostReason',
  topupId: 'meta.topupId',
  withdrawalId: 'meta.withdrawalId',
};

/** A movement's metadata as table rows: known keys by name, amounts formatted, customers linked. */
export function MetadataRows({ metadata, currency }: { metadata: Record<string, string>; currency: string }) {
  const i18n = useI18n();
  return (
    <>
      {Object.entries(metadata).map(([k, v]) => {
        const label = LABELS[k];
        return (
          <Table.Tr key={k}>
            <Table.Th>{label ? i18n.t(label) : k}</Table.Th>
            <Table.Td>
              {k.endsWith('Minor') ? (
                i18n.money(v, currency)
              ) : /^cus_[0-9a-z]{26}$/.test(v) ? (
                <Anchor component={Link} to={`/customers/${v}`}>
                  {v}
                </Anchor>
              ) : (
                v
              )}
            </Table.Td>
          </Table.Tr>
        );
      })}
    </>
  );
}
