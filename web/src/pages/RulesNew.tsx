import { Anchor, Group } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { RULE_KEYS } from '../api/rules.ts';
import { PageHeader } from '../components/Common.tsx';
import { EMPTY_DRAFT } from '../components/rules/DraftForm.tsx';
import { useRuleEnvironment, useRuleMessages } from '../components/rules/data.ts';
import { RuleWorkbench } from '../components/rules/Workbench.tsx';
import { ErrorState, Loading } from '../components/States.tsx';
import { useI18n } from '../i18n/index.tsx';

/** A new rule: its id and name, the first version's content, checked and tried before it is saved as a draft. */
export function RuleNew() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const env = useRuleEnvironment();
  const messages = useRuleMessages();

  return (
    <>
      <PageHeader
        title={t('rule.editor.newTitle')}
        description={t('rules.newDescription')}
        right={
          <Group>
            <Anchor component={Link} to="/rules" size="sm">
              {t('rules.backToList')}
            </Anchor>
          </Group>
        }
      />
      {env.isPending || messages.isPending ? (
        <Loading />
      ) : env.isError ? (
        <ErrorState error={env.error} onRetry={() => void env.refetch()} />
      ) : messages.isError ? (
        <ErrorState error={messages.error} onRetry={() => void messages.refetch()} />
      ) : (
        <RuleWorkbench
          mode={{ kind: 'create' }}
          initial={EMPTY_DRAFT}
          env={env.data}
          messages={messages.data}
          canWrite
          onSaved={(saved) => {
            queryClient.setQueryData(RULE_KEYS.one(saved.id), saved);
            void queryClient.invalidateQueries({ queryKey: RULE_KEYS.all, exact: true });
            navigate(`/rules/${encodeURIComponent(saved.id)}`, { state: { created: saved.id } });
          }}
        />
      )}
    </>
  );
}
