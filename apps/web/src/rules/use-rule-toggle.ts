import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';

/** Enables or disables a rule (admin), then refreshes every list and page that shows it. */
export function useRuleToggle() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ ref, enabled }: { ref: string; enabled: boolean }) =>
      api(enabled ? '/api/v1/rules/{ref}/enable' : '/api/v1/rules/{ref}/disable', { method: 'post', path: { ref } }).then((r) => r.data),
    onSuccess: (rule) => {
      queryClient.setQueryData(['rule', rule.ref], rule);
      void queryClient.invalidateQueries({ queryKey: ['rules'] });
    },
  });
}
