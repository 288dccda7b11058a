import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type pg from "pg";
import { proveOneStatement, UnexpectedMessage } from "../../lib/engines/postgres/one-statement.js";

type Handlers = Record<string, (...args: unknown[]) => void> & {
  submit(c: unknown): void;
};

/** A client whose server answers the proof's Parse + Sync with `answer`. */
function clientAnswering(answer: (q: Handlers) => void) {
  const sent: string[] = [];
  const connection = {
    parse: (m: { text: string; name: string }) => sent.push(`parse ${m.name || "(unnamed)"}`),
    sync: () => sent.push("sync"),
  };
  const client = {
    query(q: Handlers) {
      q.submit(connection);
      answer(q);
      return q;
    },
  } as unknown as pg.Client;
  return { client, sent };
}

describe("proveOneStatement: Parse and Sync, nothing that runs", () => {
  it("sends Parse of the unnamed statement and Sync, and resolves on ReadyForQuery", async () => {
    const { client, sent } = clientAnswering((q) => q.handleReadyForQuery?.());
    await proveOneStatement(client, "SELECT 1");
    assert.deepEqual(sent, ["parse (unnamed)", "sync"]);
  });

  it("rejects with the server's error", async () => {
    const err = new Error("cannot insert multiple commands into a prepared statement");
    const { client } = clientAnswering((q) => {
      q.handleError?.(err);
      q.handleReadyForQuery?.();
    });
    await assert.rejects(proveOneStatement(client, "SELECT 1; SELECT 2"), err);
  });

  for (const message of [
    "RowDescription",
    "DataRow",
    "CommandComplete",
    "EmptyQuery",
    "PortalSuspended",
    "CopyInResponse",
    "CopyData",
  ]) {
    it(`fails on ${message}, which only an Execute would bring`, async () => {
      const { client } = clientAnswering((q) => {
        q[`handle${message}`]?.();
        q.handleReadyForQuery?.();
      });
      await assert.rejects(proveOneStatement(client, "SELECT 1"), UnexpectedMessage);
    });
  }

  it("refuses a NUL before sending anything", async () => {
    const { client, sent } = clientAnswering(() => {});
    await assert.rejects(proveOneStatement(client, "SELECT 1\0; DROP TABLE t"), /NUL character/);
    assert.deepEqual(sent, []);
  });
});

describe("the simple query protocol carries task SQL in one place", () => {
  it("sends a query string only from copy-stream.ts, which copy-out.ts alone uses, after the proof", () => {
    const root = join(import.meta.dirname, "..", "..", "lib");
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) =>
      f.endsWith(".ts"),
    );
    const read = (f: string) => readFileSync(join(root, f), "utf8");
    // pg's simple query message (Connection.query), and the class that sends it.
    const senders = files.filter((f) => /connection\.query\(/.test(read(f)));
    assert.deepEqual(senders, [join("engines", "postgres", "copy-stream.ts")]);
    const users = files.filter((f) => /new CopyOutQuery\(/.test(read(f)));
    assert.deepEqual(users, [join("engines", "postgres", "copy-out.ts")]);
    assert.match(
      read(join("engines", "postgres", "copy-out.ts")),
      /await proveOneStatement\(client, text\);\s+return client\.query\(new CopyOutQuery\(text\)\)/,
    );
    // pg-copy-streams is only the reference the reader is tested against.
    assert.deepEqual(
      files.filter((f) => /from\s+["']pg-copy-streams["']/.test(read(f))),
      [],
    );
  });
});
