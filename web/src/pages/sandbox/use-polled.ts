/**
 * Data read again every few moments while the page is visible: the sandbox has no event stream,
 * and a phone must show a template within a second of its delivery. One request at a time (a
 * slow answer delays the next poll instead of piling requests up); an answer for an older input
 * is dropped.
 */
import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/errors';

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** Reads now (after an action), without waiting for the next tick. */
  reload(): void;
}

export function usePolled<T>(load: () => Promise<T>, everyMs: number, deps: DependencyList): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError }>({});
  const loader = useRef(load);
  loader.current = load;
  const poke = useRef<() => void>(() => {});

  useEffect(() => {
    let stopped = false;
    let running = false;
    let again = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({});
    const tick = async () => {
      clearTimeout(timer);
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const data = await loader.current();
        if (!stopped) setState({ data });
      } catch (e) {
        const error = e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined);
        if (!stopped) setState((s) => ({ ...s, error }));
      } finally {
        running = false;
      }
      if (stopped) return;
      if (again) {
        again = false;
        void tick();
      } else {
        timer = setTimeout(() => void (document.hidden ? schedule() : tick()), everyMs);
      }
    };
    // A hidden page checks back at the same pace but asks nothing until it is shown again.
    const schedule = () => {
      timer = setTimeout(() => void (document.hidden ? schedule() : tick()), everyMs);
    };
    poke.current = () => void tick();
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, everyMs]);

  const reload = useCallback(() => poke.current(), []);
  return { data: state.data, error: state.error, reload };
}
