import type { StopOutcome } from "../failure/kinds.js";
import type { SourceLog } from "./types.js";

/** A second connection that acts on the data session from outside it (lib/engines/<engine>/stop.ts). */
export interface SessionControl {
  /** Stops the running statement (pg_cancel_backend / KILL QUERY). */
  cancel(): Promise<void>;
  /** Ends the whole session (pg_terminate_backend / KILL CONNECTION). */
  terminate(): Promise<void>;
  /** Whether the session is still on the server. */
  present(): Promise<boolean>;
  close(): Promise<void>;
}

/** One data session to stop, as its engine reaches it. */
export interface StopTarget {
  /** A control connection as the monitor login, or as the data user itself. */
  connect(as: "monitor" | "data"): Promise<SessionControl>;
  /** The error says this login may not signal that session (a missing privilege). */
  notAllowed(err: unknown): boolean;
  /** Closes the worker's own end of the data session, so a stopped query's session ends too. */
  dropOwn(): void;
  /** For the logs: where and which session (no credentials). */
  describe: Record<string, unknown>;
}

export interface StopTiming {
  /** After the cancel, how long the session may stay before it is terminated. */
  graceMs: number;
  /** After the stop began, how long until a session still present is reported as an error. */
  goneMs: number;
  pollMs: number;
}

export const STOP_TIMING: StopTiming = { graceMs: 3000, goneMs: 10_000, pollMs: 25 };

/** The longest a stop takes, connection attempts included: a close waits this long at most. */
export const STOP_BOUND_MS = STOP_TIMING.goneMs + 10_000;

export type Stopper = (target: StopTarget) => Promise<StopOutcome>;

/**
 * The stop a query cannot dodge: cancel from a connection the task's role can neither see nor
 * signal (the monitor login), drop the worker's end of the session, and if the session is still
 * on the server a few seconds later, terminate it; if it is there still, log an error operators
 * alarm on. Without a monitor, or one that may not signal the data user's sessions, the data
 * user's own login is used instead (its own SQL can terminate that connection), with a warning
 * logged once per source.
 */
export function createStopper(o: {
  hasMonitor: boolean;
  log?: SourceLog;
  timing?: StopTiming;
}): Stopper {
  const timing = o.timing ?? STOP_TIMING;
  let warned = false;
  const warnOnce = (message: string, fields: Record<string, unknown>) => {
    if (warned) return;
    warned = true;
    o.log?.warn(message, fields);
  };

  return async (t) => {
    const started = Date.now();
    const gone = async (c: SessionControl, until: number): Promise<boolean> => {
      for (;;) {
        if (!(await c.present())) return true;
        if (Date.now() >= until) return false;
        await new Promise((r) => setTimeout(r, timing.pollMs));
      }
    };
    let c: SessionControl | undefined;
    /** The stop from the data user's own login, which task SQL can signal: warned once. */
    const asDataUser = async (why: string, fields: Record<string, unknown>) => {
      warnOnce(
        `${why}; queries are stopped from the data user's own login, which task SQL can signal`,
        {
          ...t.describe,
          ...fields,
        },
      );
      await c?.close().catch(() => {});
      c = await t.connect("data");
      await c.cancel();
      return c;
    };
    try {
      if (!o.hasMonitor) {
        c = await asDataUser(
          "no monitor login for the data database (set DATA_DB_MONITOR_URL or DATA_DB_MONITOR_SECRET_ARN)",
          {},
        );
      } else {
        try {
          c = await t.connect("monitor");
          await c.cancel();
        } catch (err) {
          if (c !== undefined && !t.notAllowed(err)) throw err;
          c = await asDataUser(
            c === undefined
              ? "the monitor login could not log in"
              : "the monitor login may not stop the data user's queries (PostgreSQL: pg_signal_backend or membership in the data role; MySQL: CONNECTION ADMIN or SUPER)",
            { error: err },
          );
        }
      }
      t.dropOwn();
      if (await gone(c, started + timing.graceMs)) return "cancelled";
      await c.terminate();
      if (await gone(c, started + timing.goneMs)) return "terminated";
      o.log?.error(
        "a query the worker stopped is still on the database after cancel and terminate",
        {
          ...t.describe,
          seconds: Math.round((Date.now() - started) / 1000),
        },
      );
      return "unconfirmed";
    } catch (err) {
      t.dropOwn();
      // Unknown, not known to be running: the database is often simply unreachable (an outage
      // ended the session too), so a warning; a session seen still running is the error above.
      o.log?.warn(
        "could not reach the database to stop a query; the server's own limit still applies",
        {
          ...t.describe,
          error: err,
        },
      );
      return "unconfirmed";
    } finally {
      await c?.close().catch(() => {});
    }
  };
}
