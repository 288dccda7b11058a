import type pg from "pg";
import { TaskSqlRejected } from "../../sources/statement-guard.js";

/** A protocol message the proof does not expect (it sends Parse and Sync, nothing that runs). */
export class UnexpectedMessage extends Error {
  override name = "UnexpectedMessage";
  constructor(readonly protocolMessage: string) {
    super(`the database sent an unexpected ${protocolMessage} message`);
  }
}

/**
 * Parse + Sync of the extended query protocol, nothing else: the server splits the text as it
 * would run it and refuses more than one command ("cannot insert multiple commands into a
 * prepared statement"). Parse plans nothing and runs nothing; the unnamed statement it leaves
 * is replaced by the next query.
 */
class ParseProof implements pg.Submittable {
  constructor(
    private readonly text: string,
    private readonly settle: (err?: unknown) => void,
  ) {}

  submit(connection: pg.Connection): void {
    connection.parse({ text: this.text, name: "", types: [] }, false);
    connection.sync();
  }

  // The first answer decides; the promise behind `settle` ignores any later one.
  private finish(err?: unknown): void {
    this.settle(err);
  }

  /** The server's ErrorResponse (then pg routes its ReadyForQuery to the next query), or a dead connection. */
  handleError(err: unknown): void {
    this.finish(err);
  }

  handleReadyForQuery(): void {
    this.finish();
  }

  // Answers only an Execute would bring: a server that sends them fails the proof.
  handleRowDescription(): void {
    this.finish(new UnexpectedMessage("RowDescription"));
  }
  handleDataRow(): void {
    this.finish(new UnexpectedMessage("DataRow"));
  }
  handleCommandComplete(): void {
    this.finish(new UnexpectedMessage("CommandComplete"));
  }
  handleEmptyQuery(): void {
    this.finish(new UnexpectedMessage("EmptyQueryResponse"));
  }
  handlePortalSuspended(): void {
    this.finish(new UnexpectedMessage("PortalSuspended"));
  }
  handleCopyInResponse(): void {
    this.finish(new UnexpectedMessage("CopyInResponse"));
  }
  handleCopyData(): void {
    this.finish(new UnexpectedMessage("CopyData"));
  }
}

/**
 * Resolves when the server has parsed `text` as exactly one statement, in this session's
 * settings (standard_conforming_strings and the rest, as the simple protocol will read it);
 * rejects with the server's error otherwise. A NUL cannot travel in either protocol's query
 * text, so it is refused before anything is sent.
 */
export function proveOneStatement(client: pg.Client, text: string): Promise<void> {
  if (text.includes("\0")) {
    return Promise.reject(
      new TaskSqlRejected("The task's SQL contains a NUL character. Remove it."),
    );
  }
  return new Promise<void>((resolve, reject) => {
    client.query(new ParseProof(text, (err) => (err === undefined ? resolve() : reject(err))));
  });
}
