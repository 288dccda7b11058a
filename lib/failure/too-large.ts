/**
 * A row of the result that is larger than one export may hold in memory: row and column are
 * 1-based (the column counts the query's columns, not the row number in front). Thrown by a
 * source's wire guard before the driver reads the row, or by a format's writer.
 * describe.ts makes the sentence (with the title's label for the column).
 */
export class ValueTooLarge extends Error {
  override name = "ValueTooLarge";
  constructor(
    readonly row: number,
    readonly column: number,
    readonly limitBytes: number,
  ) {
    super(`row ${row}, column ${column} makes the row larger than ${limitBytes} bytes`);
  }
}

/**
 * A message from the database other than a row that is larger than the worker may read: an
 * error or notice that quotes a huge value (PostgreSQL puts the whole input of a failed cast
 * in its error text).
 */
export class ResponseTooLarge extends Error {
  override name = "ResponseTooLarge";
  constructor(readonly limitBytes: number) {
    super(`the database sent a message larger than ${limitBytes} bytes`);
  }
}

/**
 * A value longer than a cell of the output format holds (a spreadsheet cell holds 32,767
 * characters): row and column are 1-based as in ValueTooLarge. Thrown by a format's writer;
 * describe.ts makes the sentence.
 */
export class CellTooLong extends Error {
  override name = "CellTooLong";
  constructor(
    readonly row: number,
    readonly column: number,
    readonly limitChars: number,
  ) {
    super(`row ${row}, column ${column} is longer than ${limitChars} characters`);
  }
}
