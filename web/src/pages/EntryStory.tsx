import { Anchor, Code, Group, SimpleGrid, Stack, Table, Text, Timeline } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/errors.ts';
import { type Entry, entry, story } from '../api/resources.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import {
  Id,
  OutcomeBadge,
  PageHeader,
  StatusBadge,
  useKindLabel,
  useStatusLabel,
} from '../components/Common.tsx';
import { Field, KeyValues, PartialNotice, Section } from '../components/Detail.tsx';
import { MetadataRows } from '../components/Metadata.tsx';
import { Empty, QueryView } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

/** A transaction's story: the entry, the decision that let it through, its hold and what followed. */
export function EntryStory() {
  const { id = '' } = useParams();
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const kindLabel = useKindLabel();
  const statusLabel = useStatusLabel();
  const q = useQuery({
    queryKey: ['story', id],
    queryFn: async () => {
      try {
        return { full: true, story: await api.get(`/v1/entries/${encodeURIComponent(id)}/story`, story) };
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'NOT_AVAILABLE')) throw err;
        const e = await api.get(`/v1/entries/${encodeURIComponent(id)}`, entry);
        return {
          full: false,
          story: {
            entry: e,
            decision: null,
            hold: null,
            events: [],
            reversals: [],
            reverses: null,
            funding: null,
          },
        };
      }
    },
  });

  return (
    <QueryView query={q}>
      {({ full, story: s }) => (
        <>
          <PageHeader
            title={t('story.title', {
              kind: kindLabel(s.entry.kind),
              amount: i18n.money(s.entry.amountMinor, s.entry.currency),
            })}
            description={t('story.subtitle', { id: s.entry.id, seq: s.entry.seq })}
          />
          <Stack>
            {!full && <PartialNotice>{t('story.partial')}</PartialNotice>}
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Section title={t('story.entry')}>
                <EntrySummary e={s.entry} />
              </Section>
              <Section title={t('story.timeline')}>
                {s.events.length === 0 && !s.decision && !s.hold && !s.funding ? (
                  <Empty />
                ) : (
                  <Stack>
                    {s.decision && (
                      <Group gap="xs">
                        <Text size="sm" fw={600}>
                          {t('hold.decision')}
                        </Text>
                        <OutcomeBadge outcome={s.decision.outcome} />
                        <Text size="sm">{s.decision.reasonCodes.join(', ')}</Text>
                      </Group>
                    )}
                    {s.funding && (
                      <Group gap="xs">
                        <Text size="sm" fw={600}>
                          {kindLabel(s.funding.type)}
                        </Text>
                        <Text size="sm">{i18n.money(s.funding.amountMinor, s.funding.currency)}</Text>
                        <StatusBadge status={s.funding.status} />
                        {s.funding.bankAccount && <Text size="sm">{s.funding.bankAccount}</Text>}
                      </Group>
                    )}
                    {s.hold && (
                      <Stack gap={4}>
                        <Group gap="xs">
                          <Text size="sm" fw={600}>
                            {t('story.hold')}
                          </Text>
                          <Anchor component={Link} to={`/holds/${s.hold.id}`}>
                            {i18n.money(s.hold.amountMinor, s.hold.currency)}
                          </Anchor>
                          <StatusBadge status={s.hold.status} />
                        </Group>
                        {s.hold.events.length > 0 && (
                          <Timeline bulletSize={12} lineWidth={2}>
                            {s.hold.events.map((ev) => (
                              <Timeline.Item
                                key={`${ev.at}-${ev.fromStatus}-${ev.toStatus}`}
                                title={statusLabel(ev.toStatus)}
                              >
                                <Text size="xs" c="dimmed">
                                  {i18n.dateTime(ev.at)}
                                  {ev.amountMinor && s.hold
                                    ? ` · ${i18n.money(ev.amountMinor, s.hold.currency)}`
                                    : ''}
                                </Text>
                                {ev.reason && <Text size="sm">{ev.reason}</Text>}
                              </Timeline.Item>
                            ))}
                          </Timeline>
                        )}
                      </Stack>
                    )}
                    {s.events.length > 0 && (
                      <Stack gap={4}>
                        <Text size="sm" fw={600}>
                          {t('story.events')}
                        </Text>
                        <Timeline bulletSize={12} lineWidth={2}>
                          {s.events.map((ev) => (
                            <Timeline.Item
                              key={ev.id || `${ev.at}-${ev.kind}`}
                              title={<Code>{ev.kind || '—'}</Code>}
                            >
                              <Text size="xs" c="dimmed">
                                {i18n.dateTime(ev.at)}
                              </Text>
                              {ev.description && <Text size="sm">{ev.description}</Text>}
                            </Timeline.Item>
                          ))}
                        </Timeline>
                      </Stack>
                    )}
                  </Stack>
                )}
              </Section>
            </SimpleGrid>
            <Section title={t('story.postings')}>
              <Table data-testid="postings-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('field.account')}</Table.Th>
                    <Table.Th ta="right">{t('field.amount')}</Table.Th>
                    <Table.Th ta="right">{t('story.balanceAfter')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {s.entry.postings.map((p) => (
                    <Table.Tr key={`${p.accountId}:${p.amountMinor}`}>
                      <Table.Td>
                        <Code>{p.accountId}</Code>
                      </Table.Td>
                      <Table.Td ta="right">{i18n.money(p.amountMinor, s.entry.currency)}</Table.Td>
                      <Table.Td ta="right">{i18n.money(p.balanceAfterMinor, s.entry.currency)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Section>
            {(s.reversals.length > 0 || s.reverses) && (
              <Section title={t('story.related')}>
                <Stack gap="xs">
                  {[...(s.reverses ? [s.reverses] : []), ...s.reversals].map((r) => (
                    <Group key={r.id} gap="xs">
                      <Anchor component={Link} to={`/ledger/entries/${r.id}`}>
                        {kindLabel(r.kind)}
                      </Anchor>
                      <Text size="sm">{i18n.money(r.amountMinor, r.currency)}</Text>
                      <Text size="xs" c="dimmed">
                        {i18n.dateTime(r.occurredAt)}
                      </Text>
                    </Group>
                  ))}
                </Stack>
              </Section>
            )}
          </Stack>
        </>
      )}
    </QueryView>
  );
}

function EntrySummary({ e }: { e: Entry }) {
  const i18n = useI18n();
  const auth = useAuth();
  const { t } = i18n;
  return (
    <KeyValues>
      <Field label={t('field.occurredAt')} w={150}>
        {i18n.dateTime(e.occurredAt)}
      </Field>
      <Field label={t('field.decision')}>
        {e.decisionId && auth.can('ledger.read') ? (
          <Anchor component={Link} to={`/decisions/${e.decisionId}`} data-testid="open-decision">
            <Id value={e.decisionId} />
          </Anchor>
        ) : (
          <Id value={e.decisionId} />
        )}
      </Field>
      {e.holdId && (
        <Field label={t('story.hold')}>
          <Anchor component={Link} to={`/holds/${e.holdId}`}>
            {e.holdId}
          </Anchor>
        </Field>
      )}
      {e.reversesId && (
        <Field label={t('story.reverses')}>
          <Anchor component={Link} to={`/ledger/entries/${e.reversesId}`}>
            {e.reversesId}
          </Anchor>
        </Field>
      )}
      <MetadataRows metadata={e.metadata} currency={e.currency} />
      <Field label={t('story.hash')}>
        <Code style={{ wordBreak: 'break-all' }}>{e.hash ?? '—'}</Code>
      </Field>
      <Field label={t('story.prevHash')}>
        <Code style={{ wordBreak: 'break-all' }}>{e.prevHash ?? '—'}</Code>
      </Field>
    </KeyValues>
  );
}
