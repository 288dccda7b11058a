import { MSG_MAX_CHARS, truncate } from "../redact.js";
import { asErrorLike, type Classified } from "./kinds.js";

/** Where an export failed, so the message can say what the person should do about it. */
export type Stage = "query" | "upload" | "export";

/** Carries which stage of an export failed, with the original error as its cause. */
export class StageError extends Error {
  override name = "StageError";
  constructor(
    readonly stage: Stage,
    override readonly cause: unknown,
  ) {
    super(`${stage} failed`);
  }
}

/**
 * Everything this product decides about failures lives here: what an error is, whether the
 * same export may work a little later, how many attempts a task gets and how long apart,
 * how a finished export's record survives a short outage, and the words for giving up.
 */

/** SQS receives a message this many times before it goes to the dead-letter queue (serverless.yml, the local setup and the LocalStack hook agree; test/unit/defaults.test.ts checks). */
export const DLQ_MAX_RECEIVE_COUNT = 3;

/** Writing a finished export's row: tries, and the first pause (doubling) between them. */
const COMPLETION_RETRY = { tries: 4, firstDelayMs: 500 } as const;

/**
 * Whether a failure is worth another attempt: the database or storage was unreachable, cut
 * off or overloaded, or a table the query reads was locked for a while. A bad query, a timeout or a refused write is not: it would fail again.
 * `c` is the error as classified where it was caught (engines/index.ts, classifyError).
 */
export function isTransient(err: unknown, c: Classified, stage: Stage): boolean {
  const { kind } = c;
  if (kind === "unreachable" || kind === "lost" || kind === "locked") return true;
  if (stage !== "upload") return false;
  const e = asErrorLike(err);
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) return e.name === "TimeoutError" || e.name === "RequestTimeout";
  return status >= 500 || status === 408 || status === 429;
}

export interface AttemptSettings {
  maxAttempts: number;
  retryDelaySeconds: number;
}

export type FailureDecision =
  | { action: "retry"; delaySeconds: number; msg: string }
  | { action: "fail"; msg: string };

/**
 * After attempt `attempt` failed for `reason` (already a sentence for msg): another attempt
 * after a delay that grows with the attempt number, or give up.
 */
export function decide(
  attempt: number,
  transient: boolean,
  reason: string,
  s: AttemptSettings,
): FailureDecision {
  if (!transient) return { action: "fail", msg: reason };
  if (attempt < s.maxAttempts) {
    const delaySeconds = s.retryDelaySeconds * attempt;
    return {
      action: "retry",
      delaySeconds,
      msg: truncate(
        `Attempt ${attempt} of ${s.maxAttempts} failed and will be retried in ${delaySeconds} s: ${reason}`,
        MSG_MAX_CHARS,
      ),
    };
  }
  return {
    action: "fail",
    msg: truncate(`Gave up after ${attempt} attempts. ${reason}`, MSG_MAX_CHARS),
  };
}

/** msg of a task whose worker kept dying (the lease reaper's give-up). */
export function workerStoppedMsg(attempts: number): string {
  return `The export stopped without finishing (worker timed out or crashed) ${attempts} time(s); giving up. Try a smaller export or ask an operator to check the worker logs.`;
}

/** msg of a task stopped at the worker's deadline. */
export function deadlineMsg(seconds: number): string {
  return `The export was stopped after ${seconds} seconds because it could not finish within the worker's time limit. Split it across workers with the option slice_key (an indexed whole-number, date or timestamp column of the result, such as the table's id), narrow the query (fewer rows or columns, an indexed filter), or ask an operator to raise the worker's timeout.`;
}

/** The task row is the record of truth: a short outage of the task database must not lose a finished export. */
export async function withCompletionRetries<T>(
  fn: () => Promise<T>,
  o: { tries: number; firstDelayMs: number } = COMPLETION_RETRY,
): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= o.tries) throw err;
      await new Promise((r) => setTimeout(r, o.firstDelayMs * 2 ** (i - 1)));
    }
  }
}
