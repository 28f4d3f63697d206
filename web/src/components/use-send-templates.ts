/** The templates a form may send for an account, and the account's resume rule (if any). */
import { api, unwrap } from '../api/client';
import { ApiError } from '../api/errors';
import { sendableTemplates, type Template } from './template-values';
import { useApiData } from './use-api-data';

export interface SendTemplates {
  templates: Template[];
  rule: { template: Record<string, unknown> } | undefined;
}

export function useSendTemplates(accountId: string) {
  return useApiData<SendTemplates>(async () => {
    const [list, rule] = await Promise.all([
      unwrap(api.GET('/v1/templates', { params: { query: { account_id: accountId } } })),
      unwrap(
        api.GET('/v1/accounts/{account_id}/resume-rule', { params: { path: { account_id: accountId } } }),
      ).then(
        (r) => r.rule,
        (e: unknown) => {
          if (e instanceof ApiError && e.status === 404) return undefined;
          throw e;
        },
      ),
    ]);
    return { templates: sendableTemplates(list.data), rule };
  }, [accountId]);
}
