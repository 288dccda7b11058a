import type pg from "pg";
import type { Column } from "../../sources/types.js";
import { pgColumns } from "./column-kinds.js";

/**
 * Parse + Describe (statement) + Sync: the server's RowDescription for `text` without running
 * it, for a path that gets no RowDescription of its own (COPY ... TO STDOUT). Resolves with the
 * columns, or [] when the server describes none; rejects with the server's error.
 */
class DescribeColumns implements pg.Submittable {
  private columns: Column[] = [];
  constructor(
    private readonly text: string,
    private readonly settle: (err: unknown, columns: Column[]) => void,
  ) {}

  submit(connection: pg.Connection): void {
    connection.parse({ text: this.text, name: "", types: [] }, false);
    connection.describe({ type: "S", name: "" }, false);
    connection.sync();
  }

  handleRowDescription(msg: { fields: { name: string; dataTypeID: number }[] }): void {
    this.columns = pgColumns(msg.fields);
  }
  handleError(err: unknown): void {
    this.settle(err, []);
  }
  handleReadyForQuery(): void {
    this.settle(undefined, this.columns);
  }
  // Nothing runs: a server that sends rows or a COPY is answered as pg expects and ignored.
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}
}

export function describeColumns(client: pg.Client, text: string): Promise<Column[]> {
  return new Promise<Column[]>((resolve, reject) => {
    let done = false;
    client.query(
      new DescribeColumns(text, (err, columns) => {
        if (done) return;
        done = true;
        if (err === undefined) resolve(columns);
        else reject(err);
      }),
    );
  });
}
