import { Anchor, Grid, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useCallback, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { CASE_KEYS, type CaseDetail as CaseDetailView, caseDetail, caseRights } from '../api/cases.ts';
import { customer as customerDecoder } from '../api/resources.ts';
import { useApi, useAuth } from '../auth/session.tsx';
import { PageHeader } from '../components/Common.tsx';
import { Entities } from '../components/cases/Entities.tsx';
import { EvidenceList } from '../components/cases/Evidence.tsx';
import { HeldMoney } from '../components/cases/HeldMoney.tsx';
import { CASE_KIND_KEYS, useNow } from '../components/cases/labels.tsx';
import { MoneyPanel } from '../components/cases/Money.tsx';
import { caseNetwork } from '../components/cases/network.ts';
import { CaseOverview } from '../components/cases/Overview.tsx';
import { Attachments, Notes } from '../components/cases/Records.tsx';
import { SubjectPanel } from '../components/cases/Subject.tsx';
import { CaseTimeline } from '../components/cases/Timeline.tsx';
import { type CaseNotice, NoticeBanner, useCaseRun } from '../components/cases/workspace.tsx';
import { Section } from '../components/Detail.tsx';
import { Loading, QueryView } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

/** The graph library is large: its component (and Cytoscape) load when a case is first opened. */
const NetworkGraph = lazy(async () => ({
  default: (await import('../components/cases/NetworkGraph.tsx')).NetworkGraph,
}));

/** Someone else may work the case meanwhile: the workspace reads it again this often. */
const CASE_REFRESH_MS = 30_000;

/** One case: what raised it, who it involves, the money at stake, what was done and what can be done next. */
export function CaseDetail() {
  const { id = '' } = useParams();
  // Another case is another workspace: no dialog or notice carries over.
  return <CasePage key={id} id={id} />;
}

function CasePage({ id }: { id: string }) {
  const api = useApi();
  const q = useQuery({
    queryKey: CASE_KEYS.one(id),
    queryFn: () => api.get(`/v1/cases/${encodeURIComponent(id)}`, caseDetail),
    refetchInterval: CASE_REFRESH_MS,
  });
  return <QueryView query={q}>{(c) => <Workspace c={c} />}</QueryView>;
}

function Workspace({ c }: { c: CaseDetailView }) {
  const { t } = useI18n();
  const api = useApi();
  const auth = useAuth();
  const nowMs = useNow();
  const [notice, setNotice] = useState<CaseNotice | null>(null);
  const onNotice = useCallback((n: CaseNotice | null) => setNotice(n), []);
  const run = useCaseRun(c.id, onNotice);
  const rights = caseRights(c, auth.staff?.id ?? null, auth.can);
  const subjectId = c.subjectId;
  const isCustomer = subjectId?.startsWith('cus_') ?? false;
  const subject = useQuery({
    queryKey: ['cases', 'subject', subjectId],
    queryFn: () => api.get(`/v1/customers/${encodeURIComponent(subjectId ?? '')}`, customerDecoder),
    enabled: isCustomer && auth.can('customer.read'),
  });
  const customer = subject.data ?? null;
  const network = useMemo(() => caseNetwork(c, auth.can), [c, auth.can]);

  return (
    <>
      <PageHeader
        title={t('case.heading', { kind: t(CASE_KIND_KEYS[c.kind]) })}
        description={t('case.subtitle', { id: c.id })}
        right={
          <Anchor component={Link} to="/alerts" size="sm">
            {t('case.back')}
          </Anchor>
        }
      />
      <Stack data-testid="case-workspace" data-version={c.version} data-status={c.status}>
        {notice && <NoticeBanner notice={notice} onClose={() => setNotice(null)} />}
        <Section title={t('case.overview')}>
          <CaseOverview
            c={c}
            subjectName={customer?.displayName || null}
            rights={rights}
            run={run}
            nowMs={nowMs}
          />
        </Section>
        <Grid gap="md">
          <Grid.Col span={{ base: 12, lg: 7 }}>
            <Stack>
              <Section title={t('evidence.title', { count: c.alerts.length })}>
                <EvidenceList alerts={c.alerts} nowMs={nowMs} />
              </Section>
              <Section title={t('network.title')}>
                <Text size="xs" c="dimmed" mb="xs">
                  {t('network.description')}
                </Text>
                {network.nodes.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    {t('network.empty')}
                  </Text>
                ) : (
                  <Suspense fallback={<Loading label={t('network.loading')} />}>
                    <NetworkGraph network={network} />
                  </Suspense>
                )}
              </Section>
              <Section title={t('case.entities', { count: c.entities.length })}>
                <Entities c={c} canWork={rights.work} run={run} />
              </Section>
            </Stack>
          </Grid.Col>
          <Grid.Col span={{ base: 12, lg: 5 }}>
            <Stack>
              <Section title={t('case.holds')}>
                <HeldMoney c={c} canWork={rights.work} run={run} />
              </Section>
              {subjectId && (
                <Section title={t('case.account')}>
                  <SubjectPanel c={c} customer={customer} rights={rights} run={run} />
                </Section>
              )}
              <Section title={t('case.money')}>
                <MoneyPanel c={c} customer={customer} rights={rights} run={run} />
              </Section>
              <Section title={t('case.notes')}>
                <Notes c={c} canWork={rights.work} run={run} />
              </Section>
              <Section title={t('case.attachments', { count: c.attachments.length })}>
                <Attachments c={c} canWork={rights.work} run={run} />
              </Section>
              <Section title={t('case.timeline')}>
                <CaseTimeline events={c.timeline} />
              </Section>
            </Stack>
          </Grid.Col>
        </Grid>
      </Stack>
    </>
  );
}
