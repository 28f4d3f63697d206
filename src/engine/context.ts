import type { Logger } from 'pino';
import type { Store } from '../store/database';

/** What every engine component receives from the composition root. */
export interface EngineContext {
  store: Store;
  /** Milliseconds since the epoch; tests pass a controllable clock. */
  clock: () => number;
  /** Time-ordered ids: `id('msg')` → "msg_01JD…". */
  id: (prefix: string) => string;
  log: Logger;
}
