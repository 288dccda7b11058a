// The COPY reader (lib/engines/postgres/copy-stream.ts) against pg-copy-streams, the library it
// replaces on the hot path, on a real server: the same bytes, with rows from a few bytes (many
// headers cut at the socket's chunk edges) to 300 kB (one row across several chunks).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { CopyOutQuery } from "../../lib/engines/postgres/copy-stream.js";
import { readerUrl } from "../helpers.js";

const COPY = `COPY (
  SELECT i,
    repeat(md5(i::text), (i % 7) * 40) AS t,
    CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN '' ELSE 'a,"b"' || chr(13) || chr(10) || '中文😀' END AS u,
    i * 1.5 AS n,
    DATE '2024-01-01' + i AS d
  FROM generate_series(1, 30000) i
  UNION ALL SELECT 0, repeat('大', 100000), '"', 0, DATE '2024-01-01'
) TO STDOUT WITH (FORMAT csv)`;

async function digest(stream: Readable): Promise<{ sha: string; bytes: number }> {
  const h = createHash("sha256");
  let bytes = 0;
  for await (const c of stream) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { sha: h.digest("hex"), bytes };
}

describe("COPY reader against pg-copy-streams", () => {
  let client: pg.Client;
  before(async () => {
    client = new pg.Client({ connectionString: readerUrl("postgres") });
    await client.connect();
  });
  after(() => client.end());

  // A reader that loses its place in the messages waits forever: fail instead.
  it("reads the same bytes, and leaves the session usable", { timeout: 60_000 }, async () => {
    const reference = await digest(client.query(copyTo(COPY)));
    const ours = await digest(client.query(new CopyOutQuery(COPY)).bytes);
    assert.ok(ours.bytes > 2_000_000, `a COPY of ${ours.bytes} bytes spans many chunks`);
    assert.deepEqual(ours, reference);
    assert.equal((await client.query("SELECT 3 AS n")).rows[0]?.n, 3);
  });

  it("passes the server's error on, as pg-copy-streams does", async () => {
    const failing = "COPY (SELECT 1 / (i - 20000) FROM generate_series(1, 30000) i) TO STDOUT";
    const err = await digest(client.query(new CopyOutQuery(failing)).bytes).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    assert.equal(err?.code, "22012", `division by zero from the server: ${err}`);
    assert.equal((await client.query("SELECT 4 AS n")).rows[0]?.n, 4, "the session goes on");
  });
});
