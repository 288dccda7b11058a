import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sqlTextOf } from "../../lib/engines/index.js";
import { mysqlDialect } from "../../lib/engines/mysql/index.js";
import { postgresDialect } from "../../lib/engines/postgres/index.js";
import { NotSliceable, sliceQueries } from "../../lib/slices/key-range.js";
import { bucketParts, sliceCount, slicesFromBuckets } from "../../lib/slices/plan.js";
import { KeyOutOfRange, keyBoundText, quotedBound } from "../../lib/sources/key-bounds.js";
import { BadMessage, parseSliceMessage } from "../../lib/worker.js";

const text = sqlTextOf(postgresDialect);

describe("slice queries", () => {
  it("wraps the task's SQL on lines of its own, the key quoted and the bounds in brackets", () => {
    const q = sliceQueries(text, "SELECT id FROM t -- trailing comment;", "id");
    const range = q.range("number", -5n, 10n);
    assert.equal(
      range,
      'SELECT * FROM (\nSELECT id FROM t -- trailing comment;\n) oe_slice WHERE oe_slice."id" >= (-5) AND oe_slice."id" < (10) ORDER BY oe_slice."id"',
    );
    // A negative bound never meets a minus sign to make a `--` comment.
    const plain = sliceQueries(text, "SELECT id FROM t", "id");
    assert.doesNotMatch(
      plain.buckets("number", -5n, 3n, 3) + plain.range("number", -9n, -1n),
      /--/,
    );
    // Buckets by the comparisons a slice's range makes: no arithmetic on the key to overflow.
    // A binary search: bucket 1 starts at -2, bucket 2 at 1.
    assert.match(
      q.buckets("number", -5n, 3n, 3),
      /^SELECT CASE WHEN oe_slice\."id" < \(-2\) THEN 0 ELSE CASE WHEN oe_slice\."id" < \(1\) THEN 1 ELSE 2 END END, COUNT\(\*\) FROM/,
    );
    // 100 buckets: at most 7 comparisons deep, each boundary once.
    const deep = plain.buckets("number", 0n, 10n, 100);
    assert.equal((deep.match(/CASE WHEN/g) ?? []).length, 99);
    for (let b = 1; b < 100; b++) assert.ok(deep.includes(`< (${b * 10}) THEN`), `boundary ${b}`);
  });

  it("puts every key in the bucket whose range holds it", () => {
    // Evaluate the CASE text for keys around every boundary, as the server would.
    const sql = sliceQueries(text, "SELECT 1 AS id", "id").buckets("number", -7n, 4n, 9);
    const expr = sql.slice("SELECT ".length, sql.indexOf(", COUNT(*)"));
    const evaluate = (key: number): number => {
      let e = expr;
      for (;;) {
        const m = /^CASE WHEN oe_slice\."id" < \((-?\d+)\) THEN (.*)$/.exec(e);
        if (!m) return Number(e);
        // Split "<then> ELSE <else> END" at the ELSE of this level.
        let depth = 0;
        const rest = m[2] as string;
        let at = -1;
        for (let i = 0; i < rest.length; i++) {
          if (rest.startsWith("CASE ", i)) depth++;
          else if (rest.startsWith(" END", i)) depth--;
          else if (depth === 0 && rest.startsWith(" ELSE ", i)) {
            at = i;
            break;
          }
        }
        const then = rest.slice(0, at);
        const otherwise = rest.slice(at + " ELSE ".length, rest.length - " END".length);
        e = key < Number(m[1]) ? then : otherwise;
      }
    };
    for (let key = -7; key < -7 + 36; key++)
      assert.equal(evaluate(key), Math.floor((key + 7) / 4), `key ${key}`);
  });

  it("drops trailing semicolons and refuses SQL that does not stay inside the brackets", () => {
    assert.match(
      sliceQueries(text, "SELECT 1 AS id;;", "id").bounds("number")[0] as string,
      /\(\nSELECT 1 AS id\n\)/,
    );
    for (const bad of ["SELECT 1) oe_slice UNION SELECT (1", "SELECT 1; SELECT 2", "SELECT (1"])
      assert.throws(() => sliceQueries(text, bad, "id"), NotSliceable, bad);
  });

  it("counts a part of the buckets as one key range, and the NULL keys apart", () => {
    const q = sliceQueries(text, "SELECT id FROM t", "id");
    // Buckets 2 to 4 of width 10 from -5: keys 15 to 44, no comparison for buckets outside.
    assert.equal(
      q.buckets("number", -5n, 10n, 8, 76n, { from: 2, to: 5 }).split(") oe_slice ")[1],
      'WHERE oe_slice."id" >= (15) AND oe_slice."id" < (45) GROUP BY 1 ORDER BY 1',
    );
    assert.match(
      q.buckets("number", -5n, 10n, 8, 76n, { from: 2, to: 5 }),
      /^SELECT CASE WHEN oe_slice\."id" < \(25\) THEN 2 ELSE CASE WHEN oe_slice\."id" < \(35\) THEN 3 ELSE 4 END END, COUNT/,
    );
    // The last part's end is past the largest key: no upper bound (no literal past 9999 either).
    assert.match(
      q.buckets("number", -5n, 10n, 8, 70n, { from: 5, to: 8 }),
      /WHERE oe_slice\."id" >= \(45\) GROUP BY 1/,
    );
    assert.equal(q.total("timestamp"), undefined);
    assert.equal(
      sliceQueries(sqlTextOf(mysqlDialect), "SELECT id FROM t", "id").total("timestamp"),
      "SELECT COUNT(*) FROM (\nSELECT id FROM t\n) oe_slice",
    );
    assert.equal(
      sliceQueries(sqlTextOf(mysqlDialect), "SELECT 1 AS id", "id").total("date"),
      undefined,
    );
    assert.equal(
      q.nulls(),
      'SELECT COUNT(*) FROM (\nSELECT id FROM t\n) oe_slice WHERE oe_slice."id" IS NULL',
    );
    assert.match(q.bounds("number")[0] as string, /MIN\(oe_slice\."id"\) IS NULL FROM/);
  });

  it("refuses a key that is not a plain identifier before it reaches SQL text", () => {
    assert.throws(() => sliceQueries(text, "SELECT 1", 'id" OR 1=1 --'), /unchecked identifier/);
  });
});

describe("date and timestamp bounds", () => {
  it("prints days and microseconds as ISO text, before 1970 too", () => {
    assert.equal(keyBoundText("date", 0n), "1970-01-01");
    assert.equal(keyBoundText("date", -1n), "1969-12-31");
    assert.equal(keyBoundText("date", 19_723n), "2024-01-01");
    assert.equal(keyBoundText("timestamp", 0n), "1970-01-01 00:00:00.000000");
    assert.equal(keyBoundText("timestamp", -1n), "1969-12-31 23:59:59.999999");
    assert.equal(keyBoundText("timestamp", 1_704_067_213_000_007n), "2024-01-01 00:00:13.000007");
    assert.equal(keyBoundText("timestamp", -62_135_596_800_000_000n), "0001-01-01 00:00:00.000000");
    assert.equal(keyBoundText("timestamp", 253_402_300_799_999_999n), "9999-12-31 23:59:59.999999");
  });

  it("refuses what four-digit years cannot hold", () => {
    assert.throws(() => keyBoundText("timestamp", 253_402_300_800_000_000n), KeyOutOfRange);
    assert.throws(() => keyBoundText("timestamp", -62_135_596_800_000_001n), KeyOutOfRange);
    assert.throws(() => keyBoundText("date", 2_932_897n), KeyOutOfRange); // 10000-01-01
    assert.throws(() => keyBoundText("date", -719_163n), KeyOutOfRange); // 0000-12-31
  });

  it("lets nothing but a bound between quotes", () => {
    assert.equal(quotedBound("2024-01-01"), "'2024-01-01'");
    for (const bad of ["2024-01-01' OR '1'='1", "2024-01-01\\", "1 day", "2024-01-01 00:00:00"])
      assert.throws(() => quotedBound(bad), /not a key bound/, bad);
  });

  it("writes each engine's conversion and literal for a time key", () => {
    const q = sliceQueries(text, "SELECT at FROM t", "at");
    assert.equal(
      q.range("timestamp", 0n, 1n).split(") oe_slice ")[1],
      `WHERE oe_slice."at" >= '1970-01-01 00:00:00.000000+00' AND oe_slice."at" < '1970-01-01 00:00:00.000001+00' ORDER BY oe_slice."at"`,
    );
    assert.match(
      q.bounds("date")[0] as string,
      /^SELECT CASE WHEN isfinite\(MIN\(oe_slice\."at"\)\) THEN/,
    );
    assert.match(
      q.buckets("date", 0n, 2n, 2),
      /CASE WHEN oe_slice\."at" < '1970-01-03' THEN 0 ELSE 1 END/,
    );
    assert.equal(q.probe(), 'SELECT oe_slice."at" FROM (\nSELECT at FROM t\n) oe_slice LIMIT 0');
    // The last slice of keys up to 9999-12-31 ends past any literal: no upper bound is written.
    assert.match(q.range("date", 2_932_896n, 2_932_897n), /"at" >= '9999-12-31' ORDER BY/);
    const my = sqlTextOf(mysqlDialect);
    const m = sliceQueries(my, "SELECT at FROM t", "at");
    assert.match(m.range("timestamp", -1n, 0n), /`at` >= '1969-12-31 23:59:59\.999999' AND/);
    assert.deepEqual(
      m.bounds("date").map((x) => x.split(") oe_slice ")),
      ["ASC", "DESC"].map((dir) => [
        "SELECT CASE WHEN FROM_DAYS(TO_DAYS(oe_slice.`at`)) = DATE(oe_slice.`at`) THEN TO_DAYS(oe_slice.`at`) - 719528 END FROM (\nSELECT at FROM t\n",
        `WHERE oe_slice.\`at\` IS NOT NULL ORDER BY oe_slice.\`at\` ${dir} LIMIT 1`,
      ]),
    );
  });
});

describe("slice plan", () => {
  it("takes the task's count, or rows per slice, never more slices than keys or rows", () => {
    assert.equal(sliceCount(1000, 1000n, { wanted: 8, sliceRows: 10 }), 8);
    assert.equal(sliceCount(1000, 1000n, { sliceRows: 300 }), 4);
    assert.equal(sliceCount(1000, 3n, { wanted: 8, sliceRows: 10 }), 3);
    assert.equal(sliceCount(2, 1000n, { wanted: 8, sliceRows: 10 }), 2);
    assert.equal(sliceCount(10_000_000, 10n ** 12n, { sliceRows: 1000 }), 100);
  });

  it("covers min..max with no empty slice, offsets the sum of the slices before", () => {
    const counts = new Map([
      [0, 5],
      [1, 0],
      [3, 7],
      [4, 2],
    ]);
    const s = slicesFromBuckets(-3n, 46n, 10n, counts);
    assert.deepEqual(
      s.map((x) => [x.n, x.lo, x.hi, x.rows, x.offset]),
      [
        [0, -3n, 27n, 5, 0],
        [1, 27n, 37n, 7, 5],
        [2, 37n, 47n, 2, 12],
      ],
    );
  });
});

describe("slices balanced by rows", () => {
  it("cuts n slices at bucket edges, about the same rows each, however the keys spread", () => {
    // Rows bunched: bucket 0 holds half of them, the rest spread thinly.
    const counts = new Map<number, number>([[0, 800]]);
    for (let b = 1; b < 1024; b++) counts.set(b, b % 3 === 0 ? 0 : 1);
    const s = slicesFromBuckets(0n, 10_239n, 10n, counts, 4);
    assert.equal(s.length, 4);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    assert.equal(
      s.reduce((a, x) => a + x.rows, 0),
      total,
    );
    // The bunch is one slice; the other three share the rest evenly (a bucket's rows either way).
    assert.equal(s[0]?.rows, 800);
    for (const x of s.slice(1)) assert.ok(Math.abs(x.rows - (total - 800) / 3) <= 2, `${x.rows}`);
    // Ranges follow on, from min to max + 1, offsets the rows before.
    assert.equal(s[0]?.lo, 0n);
    assert.equal(s.at(-1)?.hi, 10_240n);
    s.forEach((x, i) => {
      if (i > 0) assert.equal(x.lo, s[i - 1]?.hi);
      assert.equal(
        x.offset,
        s.slice(0, i).reduce((a, y) => a + y.rows, 0),
      );
      assert.equal((x.lo - 0n) % 10n, 0n);
    });
  });

  it("makes as many slices as asked while buckets with rows last, and never an empty one", () => {
    const counts = new Map([
      [0, 100],
      [5, 1],
      [6, 1],
      [9, 1],
    ]);
    const s = slicesFromBuckets(0n, 99n, 10n, counts, 3);
    assert.deepEqual(
      s.map((x) => [x.lo, x.hi, x.rows]),
      [
        [0n, 50n, 100],
        [50n, 60n, 1],
        [60n, 100n, 2],
      ],
    );
    assert.equal(slicesFromBuckets(0n, 99n, 10n, counts, 9).length, 4);
    // A large bucket just before the share is reached starts the next slice: 999 and 1001 rows,
    // not 1999 and 1.
    const lumps = new Map([
      [0, 1],
      [1, 998],
      [2, 1000],
      [3, 1],
    ]);
    assert.deepEqual(
      slicesFromBuckets(1n, 4n, 1n, lumps, 2).map((x) => x.rows),
      [999, 1001],
    );
  });

  it("keeps the largest slice within 1.5 times the best cut, over random plans", () => {
    // The best largest slice for contiguous runs of buckets, by binary search on its size.
    const best = (rows: number[], n: number) => {
      let lo = Math.max(...rows);
      let hi = rows.reduce((a, b) => a + b, 0);
      const fits = (cap: number) => {
        let k = 1;
        let cur = 0;
        for (const r of rows)
          if (cur + r > cap) {
            k++;
            cur = r;
          } else cur += r;
        return k <= n;
      };
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (fits(mid)) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let worst = 0;
    for (let t = 0; t < 2000; t++) {
      const b = 2 + Math.floor(random() * 60);
      const rows = Array.from({ length: b }, () =>
        random() < 0.3 ? 1 + Math.floor(random() * 1000) : 1 + Math.floor(random() * 10),
      );
      const n = 2 + Math.floor(random() * Math.min(10, b - 1));
      const s = slicesFromBuckets(0n, BigInt(b - 1), 1n, new Map(rows.map((r, i) => [i, r])), n);
      assert.equal(s.length, n);
      assert.equal(
        s.reduce((a, x) => a + x.rows, 0),
        rows.reduce((a, x) => a + x, 0),
      );
      worst = Math.max(worst, Math.max(...s.map((x) => x.rows)) / best(rows, n));
    }
    assert.ok(worst <= 1.5, `largest slice ${worst.toFixed(2)} times the best`);
  });

  it("splits the buckets into parts as even as they divide, none empty", () => {
    assert.deepEqual(bucketParts(10, 4), [
      { from: 0, to: 2 },
      { from: 2, to: 5 },
      { from: 5, to: 7 },
      { from: 7, to: 10 },
    ]);
    assert.deepEqual(bucketParts(2, 8), [
      { from: 0, to: 1 },
      { from: 1, to: 2 },
    ]);
    assert.deepEqual(bucketParts(5, 1), [{ from: 0, to: 5 }]);
  });
});

describe("parseSliceMessage", () => {
  it("reads a slice message, leaves a task message alone, refuses a bad slice", () => {
    assert.deepEqual(parseSliceMessage('{"id": 4, "slice": 2, "attempt": 1}'), {
      id: 4,
      slice: 2,
      attempt: 1,
    });
    assert.equal(parseSliceMessage('{"id": 4}'), undefined);
    // Slice -1: the join of the task's slices into its file.
    assert.deepEqual(parseSliceMessage('{"id": 4, "slice": -1, "attempt": 2}'), {
      id: 4,
      slice: -1,
      attempt: 2,
    });
    for (const bad of [
      '{"id": 4, "slice": -2, "attempt": 1}',
      '{"id": 4, "slice": 1}',
      '{"id": 4, "slice": "1", "attempt": 1}',
      '{"id": 4, "slice": 100, "attempt": 1}',
      '{"slice": 1, "attempt": 1}',
    ])
      assert.throws(() => parseSliceMessage(bad), BadMessage, bad);
  });
});
