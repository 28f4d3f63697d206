/**
 * Lints the draft as the operator types: POST /v1/templates/lint a moment after the last
 * keystroke, the previous request aborted, so findings follow the text without a request per
 * letter and an older answer never replaces a newer one.
 */
import { useEffect, useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { ApiError } from '../../api/errors';
import type { components } from '../../api/schema';
import { accountQuery } from './account';
import { asApiError } from './use-load';

export type Finding = components['schemas']['TemplateLintFinding'];

export const LINT_DELAY_MS = 300;

export interface LintState {
  findings: Finding[];
  /** True from a change until its answer. */
  checking: boolean;
  error: ApiError | undefined;
}

export function useLint(template: Record<string, unknown>, account: string | undefined): LintState {
  const [state, setState] = useState<LintState>({ findings: [], checking: true, error: undefined });
  const body = JSON.stringify(template);
  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, checking: true }));
    const timer = setTimeout(() => {
      unwrap(
        api.POST('/v1/templates/lint', {
          body: { templates: [JSON.parse(body)] },
          params: { query: accountQuery(account) },
          signal: abort.signal,
        }),
      ).then(
        (r) => setState({ findings: r.findings, checking: false, error: undefined }),
        (e) => {
          if (abort.signal.aborted) return;
          setState((s) => ({ ...s, checking: false, error: asApiError(e) }));
        },
      );
    }, LINT_DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [body, account]);
  return state;
}
