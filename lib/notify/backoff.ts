/** How one notification is retried. */
export interface DeliveryPolicy {
  tries: number;
  /** Wait before the second try; doubled before each next one. */
  firstDelayMs: number;
  /** One try: connect, send, read the answer (NOTIFY_TIMEOUT_SECONDS). */
  timeoutMs: number;
}

export const DEFAULT_POLICY: DeliveryPolicy = { tries: 3, firstDelayMs: 500, timeoutMs: 5000 };

/** Too little time left for a try to be worth starting (or half the timeout, if shorter). */
const MIN_TRY_MS = 250;

/** A failure another try cannot fix (refused by the rules, a 4xx answer): not retried. */
export class Permanent extends Error {
  override name = "Permanent";
}

/** The longest one delivery can take: every try timing out, plus the waits between them. */
export function deliveryBudgetMs(p: DeliveryPolicy): number {
  let waits = 0;
  for (let i = 0; i < p.tries - 1; i++) waits += p.firstDelayMs * 2 ** i;
  return p.tries * p.timeoutMs + waits;
}

export type Delivery = { ok: true; tries: number } | { ok: false; tries: number; error: unknown };

/**
 * `send` with exponential backoff, each try given at most `timeoutMs`, the whole never past
 * `until` (epoch ms): a try is cut to the time left, and none starts with less than 250 ms.
 * Never throws.
 */
export async function withBackoff(
  send: (timeoutMs: number) => Promise<void>,
  p: DeliveryPolicy,
  until: number,
  clock: { now: () => number; sleep: (ms: number) => Promise<void> } = {
    now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  },
): Promise<Delivery> {
  let error: unknown = new Error("no time left before the worker's deadline");
  const least = Math.min(MIN_TRY_MS, p.timeoutMs / 2);
  for (let i = 0; i < p.tries; i++) {
    if (i > 0) {
      const wait = p.firstDelayMs * 2 ** (i - 1);
      if (clock.now() + wait + least > until) return { ok: false, tries: i, error };
      await clock.sleep(wait);
    }
    const left = until - clock.now();
    if (left < least) return { ok: false, tries: i, error };
    try {
      await send(Math.min(p.timeoutMs, left));
      return { ok: true, tries: i + 1 };
    } catch (err) {
      error = err;
      if (err instanceof Permanent) return { ok: false, tries: i + 1, error };
    }
  }
  return { ok: false, tries: p.tries, error };
}
