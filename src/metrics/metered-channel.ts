/**
 * Counts every send where it meets the channel: the composition root hands the dispatcher this
 * decorator of the ChannelSet, so the dispatcher itself carries no metrics code. The outcome is
 * what Meta's answer means, classified as the dispatcher classifies it:
 *   accepted    Meta took it (a message id came back);
 *   retry       refused for now (throughput, pair limit, 5xx, an account-wide error): tried again;
 *   failed      refused for good (bad parameters, unknown template, window closed…);
 *   unconfirmed no answer after the request left (timeout, reset): outcome unknown, not resent.
 * A retry that runs out of attempts is failed by the dispatcher later; here it stays a retry.
 * An account's series are looked up once: a send only adds to plain numbers (tally.ts).
 */
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import type { ChannelAccount, SendResult } from '../channels/channel';
import type { ChannelSet } from '../channels/router';
import { classifyProviderError } from '../domain/provider-errors';
import { type CounterCell, type HistogramCell, TallyCounter, TallyHistogram } from './tally';

export const SEND_OUTCOMES = ['accepted', 'retry', 'failed', 'unconfirmed'] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];

/** From a local round trip to a slow Meta (the adapter's own deadline is 30 s). */
const SEND_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface AccountCells {
  outcomes: Record<SendOutcome, CounterCell>;
  seconds: HistogramCell;
}

export function meterChannelSet(channels: ChannelSet, registry: Registry): ChannelSet {
  const sends = new TallyCounter(registry, {
    name: 'recontact_sends_total',
    help: "Sends posted to Meta by this process, by account and by what Meta's answer means",
    labelNames: ['account', 'channel', 'outcome'],
  });
  const errors = new TallyCounter(registry, {
    name: 'recontact_meta_errors_total',
    help: 'Errors Meta answered a send with, by code ("none": an HTTP error without one) and class',
    labelNames: ['account', 'channel', 'code', 'class'],
  });
  const seconds = new TallyHistogram(registry, {
    name: 'recontact_send_duration_seconds',
    help: "Time from a send's POST leaving to Meta's answer (or the request failing)",
    labelNames: ['channel'],
    buckets: SEND_SECONDS_BUCKETS,
  });
  const byAccount = new Map<string, AccountCells>();
  const cellsOf = (account: ChannelAccount): AccountCells => {
    let cells = byAccount.get(account.id);
    if (!cells) {
      const labels = { account: account.id, channel: account.channel };
      const outcome = (o: SendOutcome) => sends.labels({ ...labels, outcome: o });
      cells = {
        // Every outcome shown from the first send on, at 0 until it happens.
        outcomes: {
          accepted: outcome('accepted'),
          retry: outcome('retry'),
          failed: outcome('failed'),
          unconfirmed: outcome('unconfirmed'),
        },
        seconds: seconds.labels({ channel: account.channel }),
      };
      byAccount.set(account.id, cells);
    }
    return cells;
  };
  return {
    ...channels,
    async send(account, message, signal) {
      const cells = cellsOf(account);
      const since = performance.now();
      let result: SendResult;
      try {
        result = await channels.send(account, message, signal);
      } catch (err) {
        // The dispatcher treats a throw as a request that may have reached Meta.
        cells.seconds.observe((performance.now() - since) / 1000);
        cells.outcomes.unconfirmed.inc();
        throw err;
      }
      cells.seconds.observe((performance.now() - since) / 1000);
      if (result.ok) {
        cells.outcomes.accepted.inc();
        return result;
      }
      const e = result.error;
      if (e.ambiguous) {
        cells.outcomes.unconfirmed.inc();
        return result;
      }
      const c = classifyProviderError({ ...e, channel: account.channel });
      cells.outcomes[c.class === 'retry_later' || c.class === 'account_fatal' ? 'retry' : 'failed'].inc();
      // Only what Meta answered: a refusal by our own adapter or a network error is not Meta's code.
      if (!e.rejectedLocally && (e.code !== null || e.httpStatus !== null)) {
        const code = String(e.code ?? 'none');
        errors.labels({ account: account.id, channel: account.channel, code, class: c.class }).inc();
      }
      return result;
    },
  };
}
