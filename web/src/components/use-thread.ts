/**
 * A contact's thread as a page holds it: the newest page, reloaded when something happens, and
 * the older pages the user asked for, kept in front of it. Items are keyed by message id, so a
 * reload that overlaps what is loaded shows each message once, with its newest status.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, unwrap } from '../api/client';
import { ApiError } from '../api/errors';
import type { ThreadItem } from './message-thread';

const PAGE = 50;

export function useThread(contactId: string) {
  const [latest, setLatest] = useState<ThreadItem[]>([]);
  const [older, setOlder] = useState<ThreadItem[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const ticket = useRef(0);
  const olderLoaded = useRef(false);

  const page = useCallback(
    (cursor?: string) =>
      unwrap(
        api.GET('/v1/contacts/{contact}/thread', {
          params: { path: { contact: contactId }, query: { limit: PAGE, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    [contactId],
  );

  const reload = useCallback(() => {
    const mine = ++ticket.current;
    page().then(
      (p) => {
        if (mine !== ticket.current) return;
        setLatest(p.data);
        // Until the user loads older pages, they start where the newest page ends.
        if (!olderLoaded.current) setOlderCursor(p.next_cursor);
        setLoaded(true);
        setError(undefined);
      },
      (e: unknown) =>
        setError(e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined)),
    );
  }, [page]);

  useEffect(() => {
    olderLoaded.current = false;
    setLatest([]);
    setOlder([]);
    setLoaded(false);
    reload();
  }, [reload]);

  const loadOlder = useCallback(() => {
    if (!olderCursor) return;
    setLoadingOlder(true);
    page(olderCursor)
      .then((p) => {
        olderLoaded.current = true;
        setOlder((o) => [...p.data, ...o]);
        setOlderCursor(p.next_cursor);
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? e : undefined))
      .finally(() => setLoadingOlder(false));
  }, [olderCursor, page]);

  const seen = new Set(latest.map((i) => i.message.id));
  const items = [...older.filter((i) => !seen.has(i.message.id)), ...latest];
  return { items, loaded, error, reload, loadOlder, hasOlder: olderCursor !== null, loadingOlder };
}
