import { MAX_ROW_BYTES } from "../../sources/row-limits.js";

/**
 * The most of the first record the COPY path holds until its end fixes the header's width.
 * The sources' wire guards refuse a larger row before the driver reads it
 * (sources/row-limits.ts); this stops a source without one from taking the worker's memory.
 * Above it the task fails naming the row and column.
 */
export const MAX_FIRST_RECORD_BYTES = MAX_ROW_BYTES + 64; // and the row number in front
