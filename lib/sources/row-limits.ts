/**
 * How much of a result the worker holds at once, in bytes, whatever the rows look like. The
 * deployed worker's V8 heap is small (serverless.yml NODE_OPTIONS); one row is decoded into
 * strings and copied on its way to the file, and several rows are in flight between the
 * stages, so the largest row is a fraction of that heap, chosen by measurement (npm run
 * bench:rows; README "Wide rows").
 */

/** The largest row, as the database sends it; a larger one fails the task naming its column. */
export const MAX_ROW_BYTES = 8 * 1024 * 1024;

/** Rows are handed downstream in batches of about this many bytes ... */
export const BATCH_BYTES = 1024 * 1024;

/** ... or this many rows, whichever comes first. */
export const BATCH_ROWS = 2000;

/**
 * The largest query plan the PostgreSQL function check reads (EXPLAIN VERBOSE shows folded
 * constants whole). Parsed as JSON, so held about three times over; a larger plan fails the task.
 */
export const MAX_PLAN_BYTES = 16 * 1024 * 1024;
