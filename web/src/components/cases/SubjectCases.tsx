import { Anchor, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { CASE_KEYS, caseList, subjectCaseQueries, subjectCases } from '../../api/cases.ts';
import { useApi } from '../../auth/session.tsx';
import { useI18n } from '../../i18n/index.tsx';
import { Id } from '../Common.tsx';
import { Section } from '../Detail.tsx';
import { QueryView } from '../States.tsx';
import { CaseStatusBadge, DISPOSITION_KEYS, Due, SeverityBadge, useNow } from './labels.tsx';

/** Every case about one customer, open and closed, on the customer view (GET /v1/cases?subjectId=…). */
export function SubjectCases({ subjectId }: { subjectId: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const api = useApi();
  const nowMs = useNow();
  const q = useQuery({
    queryKey: CASE_KEYS.subject(subjectId),
    queryFn: async () => {
      const queries = subjectCaseQueries(subjectId);
      const [open, closed] = await Promise.all([
        api.get('/v1/cases', caseList, queries.open),
        api.get('/v1/cases', caseList, queries.closed),
      ]);
      return subjectCases(open, closed);
    },
  });
  return (
    <Section title={t('customer.cases')}>
      <QueryView query={q} isEmpty={(d) => d.cases.length === 0} empty={t('customer.noCases')}>
        {(d) => (
          <>
            <Table.ScrollContainer minWidth={640}>
              <Table data-testid="customer-cases">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('cases.col.case')}</Table.Th>
                    <Table.Th>{t('cases.col.status')}</Table.Th>
                    <Table.Th>{t('cases.col.severity')}</Table.Th>
                    <Table.Th>{t('cases.col.due')}</Table.Th>
                    <Table.Th>{t('cases.col.disposition')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {d.cases.map((c) => (
                    <Table.Tr key={c.id} data-testid={`customer-case-${c.id}`}>
                      <Table.Td>
                        <Anchor component={Link} to={`/cases/${encodeURIComponent(c.id)}`} fw={600}>
                          {c.title || c.id}
                        </Anchor>
                        <div>
                          <Id value={c.id} />
                        </div>
                      </Table.Td>
                      <Table.Td>
                        <CaseStatusBadge status={c.status} />
                      </Table.Td>
                      <Table.Td>
                        <SeverityBadge severity={c.severity} />
                      </Table.Td>
                      <Table.Td>
                        {/* A decided or closed case owes nothing any more: its deadline is history. */}
                        {c.status === 'decided' || c.status === 'closed' ? (
                          '—'
                        ) : (
                          <Due dueAt={c.dueAt} overdue={c.overdue} nowMs={nowMs} />
                        )}
                      </Table.Td>
                      <Table.Td>{c.disposition ? t(DISPOSITION_KEYS[c.disposition]) : '—'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            {d.total > d.cases.length && (
              <Text size="xs" c="dimmed" mt="xs">
                {t('customer.casesMore', { shown: i18n.number(d.cases.length), total: i18n.number(d.total) })}
              </Text>
            )}
          </>
        )}
      </QueryView>
    </Section>
  );
}
