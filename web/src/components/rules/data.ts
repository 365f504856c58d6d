import { useQuery } from '@tanstack/react-query';
import { RULE_KEYS, ruleEnvironment, ruleMessages } from '../../api/rules.ts';
import { useApi } from '../../auth/session.tsx';

/** What rules can read and the messages they can name change only with a release: read once. */
const LONG_MS = 10 * 60_000;

export function useRuleEnvironment() {
  const api = useApi();
  return useQuery({
    queryKey: RULE_KEYS.environment,
    queryFn: () => api.get('/v1/risk/features', ruleEnvironment),
    staleTime: LONG_MS,
  });
}

export function useRuleMessages() {
  const api = useApi();
  return useQuery({
    queryKey: RULE_KEYS.messages,
    queryFn: async () => (await api.get('/v1/risk/messages', ruleMessages)).messages,
    staleTime: LONG_MS,
  });
}
