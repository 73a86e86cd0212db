/** A call that did not settle in time: counted as no answer (like a network timeout), never as an attempt. */
export class DeadlineError extends Error {
  override name = 'TimeoutError';
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
  }
}

/**
 * `p`, or a DeadlineError after `ms`. The call itself goes on (a request
 * without its own signal cannot be taken back): callers must not start the
 * same work again while it may still land (OutboxDrainer keeps one drain per
 * cluster; OperatorEngine one start).
 */
export async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
