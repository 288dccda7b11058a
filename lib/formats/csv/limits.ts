/**
 * The largest cell (and, on the COPY path, the largest first record, held until its end fixes
 * the header's width) an export writes. Above it the task fails with a msg naming the row and
 * column, instead of the worker running out of memory.
 */
export const MAX_CELL_CHARS = 16 * 1024 * 1024;
export const MAX_FIRST_RECORD_BYTES = 16 * 1024 * 1024;

export class ValueTooLarge extends Error {
  override name = "ValueTooLarge";
}

/** Row and 1-based data column, with the title's label for it when there is one. */
export function tooLarge(
  row: number,
  column: number,
  header: string[],
  limit: string,
): ValueTooLarge {
  const label = header[column];
  return new ValueTooLarge(
    `Row ${row}, column ${column}${label ? ` (${label})` : ""} holds more than ${limit}, the most one export cell may hold. Leave that column out or shorten it in the SQL (for example LEFT(column, 10000)) and create the task again.`,
  );
}
