import type { Readable } from "node:stream";
import type pg from "pg";
import {
  type BatchLimits,
  rowBatchStream,
  VALUE_OVERHEAD_BYTES,
} from "../../sources/row-batches.js";
import type { Column } from "../../sources/types.js";
import { pgColumns } from "./column-kinds.js";

/**
 * Task SQL as one extended-protocol query (Parse, Bind, Describe, Execute, Sync: the server
 * runs exactly one statement, and "a; b" is refused), its rows handed on in batches by bytes
 * (sources/row-batches.ts) with the socket paused while the reader is behind. Instead of
 * pg-query-stream, whose cursor fetches a count of rows per round trip: a count holds any
 * number of bytes, and a byte bound needs the rows as they arrive. Values are PostgreSQL's
 * own text output (the DataRow's strings; NULL as null), in column order.
 */
export class RowQuery implements pg.Submittable {
  readonly rows: Readable;
  /** The columns from the RowDescription, before the first row; [] if the query fails first. */
  readonly columns: Promise<Column[]>;
  private setColumns: (c: Column[]) => void = () => {};
  private readonly out;
  private socket?: { pause(): void; resume(): void };

  constructor(
    private readonly text: string,
    limits: BatchLimits,
  ) {
    this.out = rowBatchStream(limits, {
      pause: () => this.socket?.pause(),
      resume: () => this.socket?.resume(),
    });
    this.rows = this.out.stream;
    this.columns = new Promise((resolve) => {
      this.setColumns = resolve;
    });
  }

  submit(connection: pg.Connection): void {
    this.socket = connection.stream;
    connection.stream.cork();
    // The unnamed statement and portal; Execute without a row limit, so no round trips.
    connection.parse({ name: "", text: this.text, types: [] }, true);
    connection.bind({}, true);
    connection.describe({ type: "P", name: "" }, true);
    connection.execute({}, true);
    connection.sync();
    connection.stream.uncork();
  }

  handleRowDescription(msg: { fields: { name: string; dataTypeID: number }[] }): void {
    this.setColumns(pgColumns(msg.fields));
  }

  handleDataRow(msg: { fields: (string | null)[]; length: number }): void {
    this.out.row(msg.fields, msg.length + VALUE_OVERHEAD_BYTES * msg.fields.length);
  }

  handleCommandComplete(): void {}

  handlePortalSuspended(): void {}

  handleEmptyQuery(): void {}

  /** After the rows and the Sync: the query is over. */
  handleReadyForQuery(): void {
    this.setColumns([]);
    this.out.end();
  }

  handleError(err: Error): void {
    this.setColumns([]);
    this.out.fail(err);
  }

  /** COPY ... FROM STDIN cannot pass the guard; refused here too rather than left waiting. */
  handleCopyInResponse(connection: pg.Connection & { sendCopyFail(msg: string): void }): void {
    connection.sendCopyFail("exports only read");
  }

  handleCopyData(): void {}
}
