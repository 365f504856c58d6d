import { Alert, Button, Code, Group, Stack, Table, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { DELIVERY_PAGE_SIZE, mailbox, NOTIFY_KEYS } from '../../api/notify.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { CursorTable } from '../CursorList.tsx';
import { useCursor } from '../Pager.tsx';
import { CustomerRef } from '../support/labels.tsx';

const NOWRAP = { whiteSpace: 'nowrap' } as const;

/**
 * The embedded mailbox: e-mails kept instead of sent when no SMTP server is configured,
 * newest first. Addresses are masked by the server; the text is shown on demand.
 */
export function Mailbox() {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const pager = useCursor();
  const [open, setOpen] = useState<string | null>(null);
  const list = useQuery({
    queryKey: [...NOTIFY_KEYS.emails, pager.cursor],
    queryFn: () => api.get('/v1/notify/emails', mailbox, { limit: DELIVERY_PAGE_SIZE, cursor: pager.cursor }),
    placeholderData: keepPreviousData,
  });
  return (
    <Stack gap="sm">
      {list.data && (
        <Alert color={list.data.mailer === 'smtp' ? 'blue' : 'gray'} variant="light" data-testid="mailer">
          {t(list.data.mailer === 'smtp' ? 'mailbox.smtp' : 'mailbox.embedded')}
        </Alert>
      )}
      <CursorTable
        list={list}
        pager={pager}
        testId="emails-table"
        minWidth={900}
        empty={t('mailbox.none')}
        head={
          <>
            <Table.Th style={NOWRAP}>{t('mailbox.col.time')}</Table.Th>
            <Table.Th>{t('mailbox.col.to')}</Table.Th>
            <Table.Th>{t('mailbox.col.subject')}</Table.Th>
            <Table.Th>{t('mailbox.col.recipient')}</Table.Th>
            <Table.Th />
          </>
        }
        row={(e) => (
          <Fragment key={e.id}>
            <Table.Tr data-testid={`email-${e.id}`}>
              <Table.Td style={NOWRAP}>{i18n.dateTime(e.createdAt)}</Table.Td>
              <Table.Td>
                <Code data-testid="email-to">{e.to}</Code>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{e.subject || '—'}</Text>
              </Table.Td>
              <Table.Td>
                <CustomerRef id={e.recipientId} />
              </Table.Td>
              <Table.Td>
                <Group justify="flex-end">
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    onClick={() => setOpen(open === e.id ? null : e.id)}
                    aria-expanded={open === e.id}
                    data-testid={`email-toggle-${e.id}`}
                  >
                    {open === e.id ? t('mailbox.hide') : t('mailbox.show')}
                  </Button>
                </Group>
              </Table.Td>
            </Table.Tr>
            {open === e.id && (
              <Table.Tr>
                <Table.Td colSpan={5} bg="var(--mantine-color-default-hover)">
                  <Stack gap={4}>
                    <Text size="xs" c="dimmed">
                      {t('mailbox.messageId')} <Code>{e.messageId || '—'}</Code>
                    </Text>
                    <Text
                      size="sm"
                      ff="monospace"
                      style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
                      data-testid="email-text"
                    >
                      {e.text}
                    </Text>
                  </Stack>
                </Table.Td>
              </Table.Tr>
            )}
          </Fragment>
        )}
      />
    </Stack>
  );
}
