/**
 * Data a page reads from the API: loaded when its inputs change, reloaded on demand (an event
 * arrived, something was sent), with the API's own error when it fails. An answer that comes
 * back after a newer request started is dropped, so a slow page never overwrites a fresh one.
 */
import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/errors';

export interface ApiData<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** Loads again, keeping what is shown until the new answer arrives. */
  reload(): void;
}

export function useApiData<T>(load: () => Promise<T>, deps: DependencyList): ApiData<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to load
  useEffect(() => {
    const ticket = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    loader.current().then(
      (data) => {
        if (ticket === latest.current) setState({ data, loading: false });
      },
      (e: unknown) => {
        if (ticket !== latest.current) return;
        const error = e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined);
        setState((s) => ({ ...s, error, loading: false }));
      },
    );
  }, [...deps, round]);

  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Calls `fn` at most once per `ms`, after the last call (a burst of events → one reload). */
export function useDebounced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current(), ms);
  }, [ms]);
}
