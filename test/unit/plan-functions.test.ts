import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { postgresGuard } from "../../lib/engines/postgres/guard.js";
import { planFunctions, unseenEscapedCalls } from "../../lib/engines/postgres/plan-functions.js";
import { TaskSqlRejected } from "../../lib/sources/statement-guard.js";

// The shape of EXPLAIN (VERBOSE, FORMAT JSON) on PostgreSQL 15, cut down.
const PLAN = [
  {
    Plan: {
      "Node Type": "Function Scan",
      "Function Name": "ts_stat",
      Schema: "pg_catalog",
      Alias: "pg_cancel_backend(",
      Output: ["word", "lower(word)"],
      "Function Call": "ts_stat('SELECT pg_terminate_backend(1)'::text)",
      Filter: `(ext.dblink_exec('x'::text) IS NULL) AND ("my schema"."Odd Name"(1) > 0)`,
      Plans: [
        {
          "Node Type": "Result",
          "Parent Relationship": "InitPlan",
          "Subplan Name": "InitPlan 1 (returns $0)",
          Output: ["pg_catalog.set_config('a'::text, 'b'::text, true)"],
        },
      ],
    },
  },
];

describe("planFunctions: every call in an EXPLAIN plan, by the name the server shows", () => {
  it("reads calls from every expression field and node, schema kept where shown", () => {
    // A keyword before a bracket ("AND (") reads as a call too: harmless, no rule names it.
    assert.deepEqual([...planFunctions(PLAN)].sort(), [
      "and",
      "ext.dblink_exec",
      "lower",
      "my schema.odd name",
      "pg_catalog.set_config",
      "ts_stat",
    ]);
  });

  it("never reads names or string constants as calls", () => {
    // The alias "pg_cancel_backend(" and the text inside ts_stat's argument are not calls.
    const names = planFunctions(PLAN);
    assert.ok(!names.has("pg_cancel_backend"));
    assert.ok(!names.has("pg_terminate_backend"));
  });

  it("refuses a plan whose expressions it cannot read", () => {
    assert.throws(() => planFunctions([{ Plan: { Output: ["'unterminated"] } }]), TaskSqlRejected);
  });

  it("judges schema-qualified names by the function's own name", () => {
    assert.match(postgresGuard.refuseFunction("pg_catalog.set_config") ?? "", /changes settings/);
    assert.match(postgresGuard.refuseFunction("ext.dblink_exec") ?? "", /another connection/);
    assert.equal(postgresGuard.refuseFunction("pg_catalog.lower"), undefined);
  });
});

describe("unseenEscapedCalls: U& calls the plan does not show", () => {
  it("lists U& calls missing from the plan, and only those", () => {
    const plan = new Set(["pg_catalog.lower", "upper"]);
    assert.deepEqual(
      unseenEscapedCalls(
        `SELECT U&"lower"(a), u&"upp\\0065r"(b), U&"pg_\\0063ancel_backend"(0), abs(1) FROM t`,
        plan,
      ),
      // The lexer decodes U& names as the server does: upp\0065r is upper, which the plan shows.
      ["pg_cancel_backend"],
    );
    // Plain quoted names are read right by the lexer, and may be CTEs or aliases with columns.
    assert.deepEqual(
      unseenEscapedCalls(`WITH "c"(a) AS (SELECT "f"(1)) SELECT * FROM "c", t AS "x"(b)`, plan),
      [],
    );
  });
});
