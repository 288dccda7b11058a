import { MAX_ROW_BYTES } from "../../sources/row-limits.js";

/**
 * The largest cell the row path writes, and the most of the first record the COPY path holds
 * until its end fixes the header's width. The sources' wire guards refuse a larger row before
 * the driver reads it (sources/row-limits.ts); these stop a source without one from taking
 * the worker's memory. Above them the task fails naming the row and column.
 */
export const MAX_CELL_CHARS = MAX_ROW_BYTES;
// The guard's largest record, with room for the row number in front.
export const MAX_FIRST_RECORD_BYTES = MAX_ROW_BYTES + 64;
