/**
 * The live event stream (GET /v1/events/stream, server-sent events) for pages that watch
 * something change: a campaign's funnel, a conversation. The session cookie goes with it, so no
 * key is needed. EventSource reconnects by itself, and sends the last event id it saw, so the
 * server resumes where the page left off.
 */
import { useEffect, useRef } from 'react';

export interface StreamEvent {
  id: string;
  type: string;
  data: unknown;
}

/** Calls `onEvent` for each event of the given types (all when empty) while the page is open. */
export function useEventStream(types: string[], onEvent: (e: StreamEvent) => void, query = ''): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = types.join(',');
  useEffect(() => {
    const params = new URLSearchParams(query);
    if (key) params.set('type', key);
    const qs = params.toString();
    const source = new EventSource(`/v1/events/stream${qs ? `?${qs}` : ''}`, { withCredentials: true });
    const listener = (m: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(m.data);
      } catch {
        return;
      }
      handler.current({ id: m.lastEventId, type: m.type, data });
    };
    const names = key ? key.split(',') : ['message'];
    for (const n of names) source.addEventListener(n, listener as EventListener);
    return () => source.close();
  }, [key, query]);
}
