/**
 * One shared one-second tick for every countdown on a page: a single timer however many
 * windows a list shows, and none at all when nothing counts down.
 */
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;
let tick = 0;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  timer ??= setInterval(() => {
    tick++;
    for (const l of listeners) l();
  }, 1000);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** Re-renders the caller every second; the value is only a change marker. */
export function useSecondTicks(enabled = true): number {
  return useSyncExternalStore(enabled ? subscribe : noop, () => tick);
}

function noop(): () => void {
  return () => {};
}
