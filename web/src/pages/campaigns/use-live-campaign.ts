/**
 * A campaign kept current while its page is open. The event stream moves it at once: a
 * campaign.* event carries the counts and the state, and a message.status or message.reply of
 * one of its messages asks for the view again (a burst of them, once). The view (GET
 * /v1/campaigns/{id}) is the truth: it is read again every few seconds anyway, so a missed or
 * late event never leaves the page wrong for long.
 */
import { useEffect, useRef } from 'react';
import { api, unwrap } from '../../api/client';
import { useEventStream } from '../../events/use-event-stream';
import type { Campaign } from './funnel';
import { FINISHED } from './state-badge';
import { type Loaded, useLoad } from './use-load';

const CAMPAIGN_EVENTS = [
  'campaign.started',
  'campaign.progress',
  'campaign.paused',
  'campaign.resumed',
  'campaign.completed',
  'campaign.cancelled',
  'campaign.expired',
  'campaign.failed_to_start',
];
const MESSAGE_EVENTS = ['message.status', 'message.reply'];

/** While it sends; once finished, replies and late statuses still arrive, more slowly. */
const REFRESH_MS = { live: 2_000, finished: 10_000 };
const EVENT_DEBOUNCE_MS = 250;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});

/** The campaign an event is about, if any. */
function campaignOf(type: string, envelope: unknown): string | undefined {
  const data = obj(obj(envelope).data);
  if (type.startsWith('campaign.')) return String(obj(data.campaign).id ?? '');
  const message = type === 'message.reply' ? obj(data.message) : data;
  const id = obj(message.metadata).campaign_id;
  return typeof id === 'string' ? id : undefined;
}

export function useLiveCampaign(id: string): Loaded<Campaign> {
  const view = useLoad(() => unwrap(api.GET('/v1/campaigns/{id}', { params: { path: { id } } })), [id]);
  const { reload, set } = view;
  const latest = useRef(view.data);
  latest.current = view.data;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  useEventStream([...CAMPAIGN_EVENTS, ...MESSAGE_EVENTS], (e) => {
    if (campaignOf(e.type, e.data) !== id) return;
    const data = obj(obj(e.data).data);
    const current = latest.current;
    if (current && e.type.startsWith('campaign.') && data.counts) {
      const about = obj(data.campaign);
      set({
        ...current,
        counts: data.counts as Campaign['counts'],
        state: (about.state as Campaign['state']) ?? current.state,
        state_reason: (about.state_reason as string | null | undefined) ?? current.state_reason,
      });
    }
    clearTimeout(timer.current);
    timer.current = setTimeout(reload, EVENT_DEBOUNCE_MS);
  });

  const finished = view.data ? FINISHED.has(view.data.state) : false;
  const draft = view.data?.state === 'draft';
  useEffect(() => {
    if (draft) return;
    const every = setInterval(
      () => {
        if (!document.hidden) reload();
      },
      finished ? REFRESH_MS.finished : REFRESH_MS.live,
    );
    return () => clearInterval(every);
  }, [finished, draft, reload]);

  return view;
}
