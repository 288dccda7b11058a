import { classifyError } from "../engines/index.js";
import { discard } from "../export/record-export.js";
import { recordFailure } from "../export/record-failure.js";
import { streamToS3 } from "../export/stream-upload.js";
import type { ExportDeps, ExportOptions, ExportOutcome, Slicing } from "../export/types.js";
import { Interrupted, startWatchdog } from "../export/watchdog.js";
import { isTransient, StageError } from "../failure/policy.js";
import { MAX_SLICES, outputDefaults, resolveOptions } from "../formats/options.js";
import { bindOutput } from "../formats/output.js";
import type { SliceKeyKind } from "../sources/key-bounds.js";
import { STATUS } from "../status.js";
import { ASSEMBLY, type SliceRow } from "../tasks/slice-store.js";
import type { Task } from "../tasks/store.js";
import { assembleTask, cleanUp } from "./finish.js";
import { sliceHeartbeat } from "./heartbeat.js";
import { NotSliceable, sliceQueries } from "./key-range.js";
import { sliceObjectKey } from "./objects.js";
import { boundText, keyKind } from "./plan.js";

/** A slice message: which task, which slice, planned by which attempt of the task. */
export interface SliceMessage {
  id: number;
  slice: number;
  attempt: number;
}

/** The slice's key range as a person reads it (hi is exclusive in the plan). */
export function rangeText(
  key: string,
  s: Pick<SliceRow, "n" | "lo" | "hi">,
  total?: number,
  kind: SliceKeyKind = "number",
) {
  const of = total === undefined ? "" : ` of ${total}`;
  return `slice ${s.n + 1}${of} (${key} from ${boundText(kind, s.lo)} to ${boundText(kind, s.hi - 1n)})`;
}

/**
 * One slice of a sliced task: claimed (a duplicate delivery finds it taken or done), its key
 * range streamed into its own object as a continuation of the file, recorded done; the slice
 * that finds all done builds the final file (finish.ts). A transient failure sends the slice
 * alone round again; any other fails the task, naming the slice, and removes every slice.
 */
export async function exportSlice(
  deps: ExportDeps,
  slicing: Slicing,
  m: SliceMessage,
  options: ExportOptions = {},
): Promise<ExportOutcome> {
  const { settings, logger } = deps;
  if (m.slice === ASSEMBLY) return joinSlices(deps, slicing, m, options);
  // A dead worker's slice still counts against the caps (busyWho), so taking it over needs no
  // free slot: waiting for one would wait for itself when the cap is 1, and the deferrals would
  // keep the task's heartbeat alive forever.
  const takenOver = await slicing.store.claim(
    m.id,
    m.slice,
    m.attempt,
    settings.leaseSeconds,
    undefined,
    true,
  );
  // A slice is an export like any other: it waits for a slot under the in-flight caps.
  const slot =
    takenOver ??
    (await deps.tasks.withSlot(m.id, settings.maxInFlight, settings.maxInFlightPerCreator, (s) =>
      slicing.store.claim(m.id, m.slice, m.attempt, settings.leaseSeconds, s),
    ));
  if (slot === "deferred") return deferSlice(deps, slicing, m);
  const slice = slot;
  if (slice === undefined) {
    const now = await slicing.store.get(m.id, m.slice);
    if (now?.status === STATUS.succeeded && now.taskAttempt === m.attempt)
      // Written, but its worker may have died before it counted the slices: counting again is
      // safe (one claim on the final file), and builds the file if nobody has.
      return finishAgain(deps, slicing, m);
    if (now?.status === STATUS.processing && now.taskAttempt === m.attempt)
      // Being written by another delivery, or by a worker that died and whose lease has not
      // run out yet: SQS delivers this message again later, when it can take the slice over.
      throw new Error(`slice ${m.slice + 1} of task ${m.id} is being written; trying again later`);
    logger.info("slice not pending; duplicate or stale message ignored", {
      taskId: m.id,
      slice: m.slice,
    });
    return { kind: "skipped", id: m.id, status: null };
  }
  const row = await deps.tasks.get(m.id);
  if (row === undefined || row.status !== STATUS.processing || row.task.attempts !== m.attempt) {
    return { kind: "skipped", id: m.id, status: row?.status ?? null };
  }
  const task = row.task;
  const started = Date.now();
  if (row.cancelledBy !== null) {
    // Cancelled while its slices waited: the first slice to see it ends the task.
    const outcome = await recordFailure(
      deps,
      task,
      new Interrupted("cancelled", row.cancelledBy),
      started,
    );
    await cleanUp(deps, slicing, task);
    return outcome;
  }
  logger.info("slice claimed", { taskId: task.id, slice: slice.n, attempt: slice.attempts });
  const watchdog = startWatchdog({
    tasks: sliceHeartbeat(deps, slicing, slice),
    task,
    leaseSeconds: settings.leaseSeconds,
    progressSeconds: settings.progressSeconds,
    deadline: options.deadline,
    logger,
  });
  const { stop, meter } = watchdog;
  const key = sliceObjectKey(settings.keyPrefix, task.id, task.attempts, slice.n, slice.attempts);
  let sliceKey = "";
  let kind: SliceKeyKind = "number";
  try {
    const chosen = resolveOptions(task.options ?? null, outputDefaults(settings));
    sliceKey = chosen.sliceKey ?? "";
    if (!deps.source.sqlText || sliceKey === "")
      throw new NotSliceable("This task is no longer set up to be split into slices.");
    const output = bindOutput(chosen);
    const queries = sliceQueries(deps.source.sqlText, task.query, sliceKey);
    kind = await keyKind(deps.source, queries, sliceKey, stop.signal);
    const sql = queries.range(kind, slice.lo, slice.hi);
    const result = await streamToS3(deps, task, key, stop, output, meter, {
      sql,
      continueAt: slice.offset,
    });
    if (stop.signal.aborted) throw stop.signal.reason;
    if (result.rows !== slice.plannedRows)
      throw new NotSliceable(
        `The data changed while the export ran: it held ${slice.plannedRows.toLocaleString("en-US")} rows when the export was planned and ${result.rows.toLocaleString("en-US")} when it was written, so the row numbers would not run on. Create the task again, or export a range that is not being written to.`,
      );
    watchdog.dispose();
    if (!(await slicing.store.complete(task.id, slice, { ...result, key }))) {
      // Handed on (this worker was presumed dead) or the task ended: this try's object is
      // its own (the key holds the slice attempt), and nothing will read it.
      await discard(deps, key);
      return { kind: "abandoned", id: task.id };
    }
    logger.info("slice done", { taskId: task.id, slice: slice.n, ...result });
    const finished = await slicing.store.finish(task.id, task.attempts);
    if (finished.kind === "gone") {
      // The task failed or was cancelled meanwhile, and its clean-up may have listed the
      // objects before this one landed.
      await discard(deps, key);
      return { kind: "abandoned", id: task.id };
    }
    if (finished.kind === "all-done") await sendJoin(slicing, task.id, task.attempts);
    return { kind: "slice-done", id: task.id, slice: slice.n, rows: result.rows };
  } catch (failure) {
    return await sliceFailed(
      deps,
      slicing,
      task,
      slice,
      { name: sliceKey, kind },
      key,
      failure,
      started,
      meter.rows(),
    );
  } finally {
    watchdog.dispose();
  }
}

/**
 * All slices are written: the final file is built by a delivery of its own, with a whole
 * Lambda's time (the last slice's worker may have little left). Sent by each finisher that
 * sees them all; the join's claim picks one. Not sent: the record fails and SQS delivers the
 * slice again, which counts again and sends it (finishAgain).
 */
async function sendJoin(slicing: Slicing, id: number, attempt: number): Promise<void> {
  const sent = await slicing.send(id, attempt, [ASSEMBLY]);
  if (sent.failed.length > 0)
    throw new Error(`could not send the join of task ${id}'s slices: ${sent.error}`);
}

/** A join message: the claim on the final file, then the join (finish.ts). */
async function joinSlices(
  deps: ExportDeps,
  slicing: Slicing,
  m: SliceMessage,
  options: ExportOptions,
): Promise<ExportOutcome> {
  const join = await slicing.store.claimAssembly(m.id, m.attempt, deps.settings.leaseSeconds);
  if (join === undefined) {
    const now = await slicing.store.assembly(m.id);
    if (now?.status === STATUS.processing && now.taskAttempt === m.attempt)
      // Being joined by another delivery, or by a worker that died whose lease has not run
      // out: SQS delivers this message again later, when it can take over.
      throw new Error(`task ${m.id}'s slices are being joined; trying again later`);
    return { kind: "skipped", id: m.id, status: null };
  }
  const row = await deps.tasks.get(m.id);
  if (row === undefined || row.status !== STATUS.processing || row.task.attempts !== m.attempt)
    return { kind: "skipped", id: m.id, status: row?.status ?? null };
  return assembleTask(deps, slicing, row.task, join, options);
}

/** A delivery of a slice already written: its worker may have died before it sent the join. */
async function finishAgain(
  deps: ExportDeps,
  slicing: Slicing,
  m: SliceMessage,
): Promise<ExportOutcome> {
  const finished = await slicing.store.finish(m.id, m.attempt);
  if (
    finished.kind === "all-done" &&
    (await slicing.store.assembly(m.id))?.status === STATUS.pending
  )
    await sendJoin(slicing, m.id, m.attempt);
  deps.logger.info("slice already written; duplicate message ignored", {
    taskId: m.id,
    slice: m.slice,
  });
  return { kind: "skipped", id: m.id, status: null };
}

/** Seconds before a slice that found no free slot is delivered again. */
export const DEFER_SECONDS = 5;

/**
 * No slot: the slice's message goes round again shortly, and its task's heartbeat is kept, so
 * the lease reaper does not take back a task whose slices are only waiting their turn.
 */
async function deferSlice(
  deps: ExportDeps,
  slicing: Slicing,
  m: SliceMessage,
): Promise<ExportOutcome> {
  if (!(await slicing.store.taskHeartbeat(m.id, m.attempt))) {
    // Ended, handed on, or cancelled: a cancelled task whose slices all wait is ended here.
    const row = await deps.tasks.get(m.id);
    if (
      row?.status !== STATUS.processing ||
      row.task.attempts !== m.attempt ||
      row.cancelledBy === null
    )
      return { kind: "skipped", id: m.id, status: row?.status ?? null };
    const outcome = await recordFailure(
      deps,
      row.task,
      new Interrupted("cancelled", row.cancelledBy),
      Date.now(),
    );
    await cleanUp(deps, slicing, row.task);
    return outcome;
  }
  const sent = await slicing.send(m.id, m.attempt, [m.slice], DEFER_SECONDS);
  // Not sent: fail the record, so SQS delivers this message again instead.
  if (sent.failed.length > 0)
    throw new Error(`could not send slice ${m.slice + 1} of task ${m.id} again: ${sent.error}`);
  deps.logger.info("in-flight cap reached; slice sent again shortly", {
    taskId: m.id,
    slice: m.slice,
  });
  return { kind: "deferred", id: m.id };
}

/**
 * A slice that did not finish: stopped from outside (lost, cancelled), sent round again when
 * another try may well succeed, or the task failed naming the slice; no slice outlives a task's end.
 */
async function sliceFailed(
  deps: ExportDeps,
  slicing: Slicing,
  task: Task,
  slice: SliceRow,
  sliceKey: { name: string; kind: SliceKeyKind },
  key: string,
  failure: unknown,
  started: number,
  rows: number,
): Promise<ExportOutcome> {
  const { logger, settings } = deps;
  // This try's object is its own (the key holds the slice attempt): never read now.
  await discard(deps, key);
  if (failure instanceof Interrupted && failure.why === "claim-lost")
    return { kind: "abandoned", id: task.id };
  // A try whose slice was taken over meanwhile (its worker presumed dead) neither retries nor
  // fails the task: the try holding the slice decides.
  const now = await slicing.store.get(task.id, slice.n);
  if (now?.status !== STATUS.processing || now.attempts !== slice.attempts) {
    logger.warn("slice failed after it was taken over; the newer try goes on", {
      taskId: task.id,
      slice: slice.n,
    });
    return { kind: "abandoned", id: task.id };
  }
  const { stage, cause } =
    failure instanceof StageError ? failure : new StageError("export", failure);
  const transient =
    !(failure instanceof Interrupted) && isTransient(cause, classifyError(cause), stage);
  if (transient && slice.attempts < settings.maxAttempts) {
    await slicing.store.release(task.id, slice);
    const delay = settings.retryDelaySeconds * slice.attempts;
    const sent = await slicing.send(task.id, task.attempts, [slice.n], delay);
    // Not sent: fail the record instead, so SQS delivers this message again.
    if (sent.failed.length > 0)
      throw new Error(
        `could not send slice ${slice.n + 1} of task ${task.id} again: ${sent.error}`,
      );
    logger.warn("slice failed; sent again", { taskId: task.id, slice: slice.n, delay });
    return { kind: "retrying", id: task.id, msg: String((cause as Error)?.message ?? cause) };
  }
  const total = (await slicing.store.list(task.id)).length;
  const where = `The export stopped at ${rangeText(sliceKey.name || "key", slice, total, sliceKey.kind)}`;
  const outcome = await recordFailure(deps, task, failure, started, rows, {
    final: true,
    where,
    deadlineMsg: (seconds) =>
      `the slice was stopped after ${seconds} seconds because it could not finish within the worker's time limit. Create the task again with more slices (option slices, up to ${MAX_SLICES}), or ask an operator to raise the worker's timeout.`,
  });
  await cleanUp(deps, slicing, task);
  return outcome;
}
