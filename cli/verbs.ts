/** How a flag's value is read: a switch, a whole number in a range, a duration, status names, text. */
export type FlagSpec =
  | { kind: "switch" }
  | { kind: "int"; min: number; max: number }
  | { kind: "duration" }
  | { kind: "statuses" }
  | { kind: "text" };

export interface VerbSpec {
  name: string;
  /** Task ids after the verb: none, exactly one, or one or more. */
  ids: "none" | "one" | "many";
  flags: Record<string, FlagSpec>;
  required?: string[];
  summary: string;
  /** The verb's usage line and what each flag does, for `<verb> --help`. */
  help: string;
}

const sw = { kind: "switch" } as const;
const MAX_ID = 2_147_483_647;

export const VERBS: VerbSpec[] = [
  {
    name: "list",
    ids: "none",
    flags: {
      status: { kind: "statuses" },
      creator: { kind: "text" },
      "older-than": { kind: "duration" },
      limit: { kind: "int", min: 1, max: 1000 },
      "before-id": { kind: "int", min: 1, max: MAX_ID },
      json: sw,
    },
    summary: "tasks, newest first",
    help: `list [--status S,...] [--creator NAME] [--older-than AGE] [--limit N] [--before-id ID] [--json]
  Tasks newest first: id, status, creator, name, rows, size, run time, age, msg.
  --status S,...     pending, processing, succeeded, failed (or 0-3), comma-separated
  --creator NAME     only this creater_name
  --older-than AGE   finished (or, if unfinished, created) more than AGE ago: 30m, 12h, 7d, 2w
  --limit N          at most N tasks (default 50, at most 1000)
  --before-id ID     tasks with a smaller id: the next page (the last id shown)
  --json             one JSON document: {"tasks": [...], "next_before_id": ID or null}`,
  },
  {
    name: "show",
    ids: "one",
    flags: { json: sw },
    summary: "one task: every field, its timeline and attempts",
    help: `show <id> [--json]
  Every field of a task: status, creator, name, title, options, rows, size, attempts (this
  run's and in all), who cancelled it, msg, link, object key, the query, and its timeline
  (created, dispatched, retry at, started, last heartbeat, cancel asked, finished) with the time
  between steps.
  --json   one JSON document: {"task": {...}}`,
  },
  {
    name: "enqueue",
    ids: "many",
    flags: { json: sw },
    summary: "send pending tasks to the queue now (needs EXPORT_QUEUE_URL)",
    help: `enqueue <id...> [--json]
  Sends {"id": N} to the task queue for each pending task, so a worker starts it now instead of
  at the scheduler's next poll. Tasks that are not pending are left alone, with a note saying
  why. Needs EXPORT_QUEUE_URL.
  --json   one JSON document: {"results": [{"id", "outcome", "result", "note"}]}`,
  },
  {
    name: "retry",
    ids: "many",
    flags: { json: sw },
    summary: "run failed tasks again and send them (needs EXPORT_QUEUE_URL)",
    help: `retry <id...> [--json]
  Runs failed tasks again as new (status 0, link and msg cleared, a fresh retry budget) and
  sends them to the queue. Other tasks are left alone, with a note. Needs EXPORT_QUEUE_URL.
  --json   one JSON document: {"results": [...]}`,
  },
  {
    name: "requeue-stuck",
    ids: "none",
    flags: { "lease-seconds": { kind: "int", min: 1, max: 86_400 }, "dry-run": sw, json: sw },
    summary: "take back tasks whose worker went quiet, resend lost messages",
    help: `requeue-stuck [--lease-seconds N] [--dry-run] [--json]
  What the scheduler does every pass, now: processing tasks with no heartbeat for N seconds go
  back to pending for another attempt (or end in 3 after MAX_ATTEMPTS, or as cancelled if a
  cancel was asked for); pending tasks sent to the queue more than N seconds ago and never
  claimed are marked unsent, so the scheduler sends them again at its next pass. A worker that
  was only slow loses its attempt and stops at its next heartbeat; nothing is exported twice.
  --lease-seconds N  default LEASE_SECONDS (180)
  --dry-run          report what would be done, change nothing
  --json             one JSON document`,
  },
  {
    name: "cancel",
    ids: "many",
    flags: { by: { kind: "text" }, json: sw },
    summary: "cancel tasks: pending ones at once, running ones within seconds",
    help: `cancel <id...> [--by NAME] [--json]
  A pending task ends in 3 at once ("Cancelled by NAME before it started."); a running one
  is stopped by its worker within PROGRESS_SECONDS (3) and ends in 3; a finished one is left as
  it is (not cancellable).
  --by NAME   who cancelled, written to the task (default operator:$USER)
  --json      one JSON document: {"results": [...]}`,
  },
  {
    name: "purge",
    ids: "none",
    flags: { "older-than": { kind: "duration" }, "dry-run": sw, json: sw },
    required: ["older-than"],
    summary: "delete the files of tasks finished long ago",
    help: `purge --older-than AGE [--dry-run] [--json]
  Deletes from S3 the files of tasks that finished more than AGE ago (7d, 30d, 12h), then
  clears their link and object key and says so in msg ("The file was removed on 2026-12-02
  (older than 30 days); create the task again to export anew."). Only keys under
  EXPORT_KEY_PREFIX are deleted. Reports the files and the bytes freed.
  --older-than AGE   required: 30m, 12h, 30d, 2w
  --dry-run          list what would be removed (sizes as recorded), change nothing
  --json             one JSON document`,
  },
];

export const verbNamed = (name: string) => VERBS.find((v) => v.name === name);
