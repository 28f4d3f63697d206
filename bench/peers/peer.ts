/** What the peers' phases share: how a run is timed and reported, and how the bench waits. */

export interface PeerRun {
  /** The settings of this run, as the table prints them. */
  settings: string;
  /** Jobs completed per second, first completion to last, as Recontact's dispatch is timed. */
  rate: number;
  /** Jobs enqueued per second by the bench process (not timed against anything; for the record). */
  enqueueRate: number;
  workerRssMb: number;
  /** CPU per job, µs, while the jobs ran: the worker process, and the queue's server. */
  cpuUs: CpuPerMessage;
}

export interface CpuPerMessage {
  worker: number;
  store: number;
}

/**
 * Rate between the first and the last completion, both stamped by the store that records them:
 * N completions span N − 1 intervals, and worker start-up is left out, as for Recontact.
 */
export function spanRate(n: number, firstMs: number, lastMs: number): number {
  if (!(lastMs > firstMs)) throw new Error(`completions span no time (first ${firstMs}, last ${lastMs})`);
  return (n - 1) / ((lastMs - firstMs) / 1000);
}

export const bestOf = (runs: PeerRun[]): PeerRun => runs.reduce((best, r) => (r.rate > best.rate ? r : best));
