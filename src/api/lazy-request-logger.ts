/**
 * Fastify gives every request a child logger bound to its id. Making one costs a pino child with
 * its redaction of the bindings, about 5 µs a request — at thousands of requests a second, for
 * a logger that logs only 5xx answers. This one makes the child only when a request first logs.
 */
import type { FastifyBaseLogger } from 'fastify';

type ChildArgs = Parameters<FastifyBaseLogger['child']>;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function lazyRequestLogger(
  parent: FastifyBaseLogger,
  bindings: ChildArgs[0],
  opts?: ChildArgs[1],
): FastifyBaseLogger {
  let child: FastifyBaseLogger | undefined;
  const real = (): FastifyBaseLogger => {
    child ??= parent.child(bindings, opts);
    return child;
  };
  const logger = {
    get level() {
      return child?.level ?? parent.level;
    },
    set level(l: string) {
      real().level = l;
    },
    child: (...args: Parameters<FastifyBaseLogger['child']>) => real().child(...args),
  } as unknown as FastifyBaseLogger;
  const enabled = (name: string) =>
    child !== undefined ||
    (parent as { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled?.(name) !== false;
  for (const name of LEVELS) {
    (logger as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      // A call below the level writes nothing: no child for it either.
      if (enabled(name)) (real()[name] as (...a: unknown[]) => void)(...args);
    };
  }
  return logger;
}
