import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { accountQuery } from './account';
import { useLoad } from './use-load';

export type TemplateHistory = components['schemas']['TemplateHistory'];

/** A template's changes as Meta reported them (GET /v1/templates/{name}/{language}/history). */
export function useHistory(
  name: string | undefined,
  language: string | undefined,
  account: string | undefined,
  limit: number,
) {
  return useLoad(async () => {
    if (!name || !language) return undefined;
    return unwrap(
      api.GET('/v1/templates/{name}/{language}/history', {
        params: { path: { name, language }, query: { ...accountQuery(account), limit } },
      }),
    );
  }, [name, language, account, limit]);
}
