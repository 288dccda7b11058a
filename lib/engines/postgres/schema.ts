import { quoteTable as quoteTableWith, type TableName } from "../../identifiers.js";
import type { Sql, TableSchema } from "../dialect.js";
import { postgresQuoteIdent as q } from "./quote.js";

const quoteTable = (t: TableName) => quoteTableWith(q, t);

/** The task table on PostgreSQL: the seed's columns (same names, meaning, status codes) plus ours. */
export const postgresSchema: TableSchema = {
  create(table: TableName): string {
    return `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (
  ${q("id")} SERIAL PRIMARY KEY,
  ${q("name")} VARCHAR(255) NOT NULL,
  ${q("title")} TEXT NOT NULL,
  ${q("query")} TEXT NOT NULL,
  ${q("creater_name")} VARCHAR(100) NOT NULL,
  ${q("status")} INTEGER NOT NULL DEFAULT 0,
  ${q("msg")} TEXT NULL,
  ${q("filepath")} TEXT NULL
)`;
  },

  addColumns: [
    ["created_at", "TIMESTAMPTZ NOT NULL DEFAULT now()"],
    ["dispatched_at", "TIMESTAMPTZ NULL"],
    ["retry_at", "TIMESTAMPTZ NULL"],
    ["started_at", "TIMESTAMPTZ NULL"],
    ["heartbeat_at", "TIMESTAMPTZ NULL"],
    ["finished_at", "TIMESTAMPTZ NULL"],
    ["attempts", "INTEGER NOT NULL DEFAULT 0"],
    ["row_count", "BIGINT NULL"],
    ["byte_count", "BIGINT NULL"],
    ["s3_key", "VARCHAR(1024) NULL"],
    // The task's output options as JSON text (lib/formats/options.ts); NULL: the deployment's.
    // TEXT, not JSON: a bad value must still insert, and fail the task with a msg saying why.
    ["options", "TEXT NULL"],
    // Attempts before the latest re-run: attempts keep counting (they fence workers and name
    // objects), the retry budget counts from here.
    ["attempt_base", "INTEGER NOT NULL DEFAULT 0"],
    // Set by the app (or the CLI) to cancel; the task then ends in 3 saying by whom.
    ["cancel_requested_at", "TIMESTAMPTZ NULL"],
    ["cancelled_by", "VARCHAR(100) NULL"],
    // A task split across workers (lib/slices): how many slices, and how many are written.
    ["slice_count", "INTEGER NULL"],
    ["slices_done", "INTEGER NULL"],
  ],

  widenColumns: [
    ["title", "TEXT"],
    ["query", "TEXT"],
    ["msg", "TEXT"],
    ["filepath", "TEXT"],
  ],

  addColumn: (table, name, ddl) =>
    `ALTER TABLE ${quoteTable(table)} ADD COLUMN IF NOT EXISTS ${q(name)} ${ddl}`,
  widenColumn: (table, name, ddl) =>
    `ALTER TABLE ${quoteTable(table)} ALTER COLUMN ${q(name)} TYPE ${ddl}`,
  createIndex: (table, index) =>
    `CREATE INDEX IF NOT EXISTS ${q(index)} ON ${quoteTable(table)} (${q("status")}, ${q("id")})`,

  columns(table: TableName): Sql {
    const text = `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2`;
    return { text, values: [table.schema ?? null, table.name] };
  },
  indexes(table: TableName): Sql {
    const text = `SELECT indexname AS name FROM pg_indexes WHERE schemaname = COALESCE($1, current_schema()) AND tablename = $2`;
    return { text, values: [table.schema ?? null, table.name] };
  },
  narrowTypes: ["character varying", "character"],
  createControl: (control) =>
    `CREATE TABLE IF NOT EXISTS ${quoteTable(control)} (${q("name")} VARCHAR(64) PRIMARY KEY)`,
  createSlices: (t) => `CREATE TABLE IF NOT EXISTS ${quoteTable(t)} (
  ${q("task_id")} INTEGER NOT NULL,
  ${q("n")} INTEGER NOT NULL,
  ${q("task_attempt")} INTEGER NOT NULL,
  ${q("lo")} BIGINT NULL,
  ${q("hi")} BIGINT NULL,
  ${q("planned_rows")} BIGINT NOT NULL DEFAULT 0,
  ${q("row_offset")} BIGINT NOT NULL DEFAULT 0,
  ${q("status")} INTEGER NOT NULL DEFAULT 0,
  ${q("attempts")} INTEGER NOT NULL DEFAULT 0,
  ${q("heartbeat_at")} TIMESTAMPTZ NULL,
  ${q("row_count")} BIGINT NULL,
  ${q("byte_count")} BIGINT NULL,
  ${q("s3_key")} VARCHAR(1024) NULL,
  PRIMARY KEY (${q("task_id")}, ${q("n")})
)`,
  seedControl: (control, name) => ({
    text: `INSERT INTO ${quoteTable(control)} (${q("name")}) VALUES ($1) ON CONFLICT DO NOTHING`,
    values: [name],
  }),
};
