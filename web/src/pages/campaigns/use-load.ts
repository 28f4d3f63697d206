/**
 * Data a campaign page reads from the API: loaded when its inputs change, read again on demand,
 * with the API's own error. An answer that arrives after a newer request started is dropped, so
 * a slow answer never replaces a fresher one.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/errors';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
  /** Replaces what is shown (an answer of a command, an event) until the next load. */
  set(data: T): void;
}

export function asApiError(e: unknown): ApiError {
  return e instanceof ApiError
    ? e
    : new ApiError(0, 'NETWORK', e instanceof Error ? e.message : String(e), undefined, undefined);
}

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps say when to load again
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    loader.current().then(
      (data) => {
        if (mine === seq.current) setState({ data, loading: false });
      },
      (e) => {
        if (mine === seq.current) setState((s) => ({ ...s, error: asApiError(e), loading: false }));
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const set = useCallback((data: T) => {
    seq.current++;
    setState({ data, loading: false });
  }, []);
  return { data: state.data, error: state.error, loading: state.loading, reload, set };
}
