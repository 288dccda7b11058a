import { pipeline, type Readable, Transform } from "node:stream";
import { StageError } from "../failure/policy.js";
import type { BoundOutput } from "../formats/output.js";
import type { RowStream, ServerRendering } from "../sources/types.js";
import { contentDisposition, uploadStream } from "../storage.js";
import type { Task } from "../tasks/store.js";
import { parseTitle } from "../tasks/title.js";
import { createCollector } from "./collect.js";
import type { ExportDeps } from "./types.js";
import type { Meter } from "./watchdog.js";

/** S3's limit on parts in one multipart upload. */
const MAX_PARTS = 10_000;

/** The stream machinery's own error when a pipeline is torn down from the other end. */
function isTeardown(err: unknown): boolean {
  const e = err as { name?: string; code?: string };
  return (
    e?.name === "AbortError" || e?.code === "ABORT_ERR" || e?.code === "ERR_STREAM_PREMATURE_CLOSE"
  );
}

/**
 * Counts bytes on their way to S3, stops before the file outgrows S3's part limit, and
 * collects garbage once per part where it may (collect.ts).
 */
function byteCounter(
  partSizeBytes: number,
  collectsPerPart = 1,
  /** Rows decoded into JavaScript values: their garbage is on the heap (collect.ts). */
  heapRows = false,
): { stage: Transform; bytes: () => number } {
  const maxBytes = partSizeBytes * MAX_PARTS;
  let bytes = 0;
  const collect = createCollector(partSizeBytes / collectsPerPart, { everyPart: heapRows });
  const stage = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      collect(chunk.length);
      if (bytes > maxBytes) {
        const gb = (maxBytes / 1024 ** 3).toFixed(0);
        done(
          new Error(
            `the file would be larger than ${gb} GB, the most a single upload holds with ${partSizeBytes / 1024 ** 2} MB parts (S3 allows 10,000). Narrow the query, or ask an operator to raise UPLOAD_PART_SIZE_MB.`,
          ),
        );
        return;
      }
      done(null, chunk);
    },
  });
  return { stage, bytes: () => bytes };
}

/**
 * Query -> rows (or the server's own rendering) -> the format's writer and encoder ->
 * multipart upload, all streaming with backpressure. Aborting `stop` ends the query (and its
 * transaction) and the upload.
 */
export async function streamToS3(
  deps: ExportDeps,
  task: Task,
  key: string,
  stop: AbortController,
  output: BoundOutput,
  meter?: Meter,
  /** A slice of a sliced task (lib/slices): its own SQL, continuing the file after `continueAt` rows. */
  slice?: { sql: string; continueAt: number },
): Promise<{ rows: number; bytes: number }> {
  const { settings } = deps;
  const sql = slice?.sql ?? task.query;
  // The database renders the file itself where the format allows it and the source can.
  const rendering = output.serverRendering;
  let input: Readable;
  let close: () => Promise<void>;
  let columns: RowStream["columns"];
  // What the writer reads: rows, or the server's rendering when the source could make it.
  let kind: "rows" | ServerRendering = "rows";
  try {
    const r =
      rendering && deps.source.openRendered
        ? await deps.source.openRendered(sql, rendering)
        : undefined;
    if (r && rendering) {
      kind = rendering;
      ({ bytes: input, close, columns } = r);
    } else {
      ({ rows: input, close, columns } = await deps.source.open(sql));
    }
  } catch (error) {
    throw new StageError("query", error);
  }
  if (stop.signal.aborted) {
    await close();
    throw stop.signal.reason;
  }
  // The upload gets its own controller: lib-storage aborts it itself when a part fails, and
  // that must not read as a stop from outside (deadline, lost claim).
  const uploadAbort = new AbortController();
  const onStop = () => {
    uploadAbort.abort(stop.signal.reason);
    input.destroy(stop.signal.reason as Error);
  };
  stop.signal.addEventListener("abort", onStop, { once: true });
  const writer = output.createWriter({
    header: parseTitle(task.title),
    input: kind,
    columns,
    ...(slice && { continueAt: slice.continueAt }),
    onWidthMismatch: (labels, columns) =>
      deps.logger.warn(
        "title label count differs from the query's columns + 1; shorter side padded",
        { taskId: task.id, labels, columns },
      ),
  });
  deps.logger.info("export started", { taskId: task.id, path: kind });
  // Compressed output is about a quarter of the data: collect per quarter part (collect.ts).
  const counter = byteCounter(settings.partSizeBytes, output.compressed ? 4 : 1, kind === "rows");
  if (meter) {
    meter.rows = writer.rowCount;
    meter.bytes = counter.bytes;
  }
  let queryError: unknown;
  input.once("error", (err) => {
    queryError ??= err;
  });
  const piped = new Promise<void>((resolve, reject) => {
    pipeline([input, ...writer.stages, counter.stage], (err) => (err ? reject(err) : resolve()));
  });
  const uploaded = uploadStream(deps.s3, {
    bucket: settings.bucket,
    key,
    body: counter.stage,
    contentType: output.contentType,
    contentDisposition: contentDisposition(task.name, output.extension),
    partSizeBytes: settings.partSizeBytes,
    queueSize: output.uploadQueueSize(settings.uploadQueueSize),
    metadata: { "task-id": String(task.id) },
    abortController: uploadAbort,
  }).catch((err) => {
    // Nobody reads the file any more: stop the query instead of stalling on backpressure.
    input.destroy();
    throw err;
  });
  const [p, u] = await Promise.allSettled([piped, uploaded]);
  stop.signal.removeEventListener("abort", onStop);
  await close();
  if (stop.signal.aborted) throw stop.signal.reason;
  // When the upload fails, lib-storage stops reading and the stream machinery tears the
  // pipeline down with an AbortError or premature close: a consequence, not the cause.
  if (queryError !== undefined && !(u.status === "rejected" && isTeardown(queryError)))
    throw new StageError("query", queryError);
  // A writer or encoding error also fails the upload (its body broke): report where it started.
  if (p.status === "rejected" && (u.status === "fulfilled" || u.reason === p.reason))
    throw new StageError("export", p.reason);
  if (u.status === "rejected") throw new StageError("upload", u.reason);
  if (p.status === "rejected") throw new StageError("export", p.reason);
  return { rows: writer.rowCount(), bytes: counter.bytes() };
}
