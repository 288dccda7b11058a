import { quoteTable as quoteTableWith, type TableName } from "../../identifiers.js";
import type { Sql, TableSchema } from "../dialect.js";
import { mysqlQuoteIdent as q } from "./quote.js";

const quoteTable = (t: TableName) => quoteTableWith(q, t);

/** The task table on MySQL/MariaDB: the seed's columns (same names, meaning, status codes) plus ours. */
export const mysqlSchema: TableSchema = {
  create(table: TableName): string {
    return `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (
  ${q("id")} INT NOT NULL AUTO_INCREMENT,
  ${q("name")} VARCHAR(255) NOT NULL,
  ${q("title")} TEXT NOT NULL,
  ${q("query")} MEDIUMTEXT NOT NULL,
  ${q("creater_name")} VARCHAR(100) NOT NULL,
  ${q("status")} INT NOT NULL DEFAULT 0,
  ${q("msg")} TEXT NULL,
  ${q("filepath")} TEXT NULL,
  PRIMARY KEY (${q("id")})
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
  },

  // Added with defaults (or NULL), so a PHP app inserting (name, title, query, creater_name) keeps working.
  addColumns: [
    ["created_at", "DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP"],
    ["dispatched_at", "DATETIME NULL DEFAULT NULL"],
    ["retry_at", "DATETIME NULL DEFAULT NULL"],
    ["started_at", "DATETIME NULL DEFAULT NULL"],
    ["heartbeat_at", "DATETIME NULL DEFAULT NULL"],
    ["finished_at", "DATETIME NULL DEFAULT NULL"],
    ["attempts", "INT NOT NULL DEFAULT 0"],
    ["row_count", "BIGINT NULL DEFAULT NULL"],
    ["byte_count", "BIGINT NULL DEFAULT NULL"],
    ["s3_key", "VARCHAR(1024) NULL DEFAULT NULL"],
    // The task's output options as JSON text (lib/formats/options.ts); NULL: the deployment's.
    // TEXT, not JSON: a bad value must still insert, and fail the task with a msg saying why.
    ["options", "TEXT NULL DEFAULT NULL"],
    // Attempts before the latest re-run: attempts keep counting (they fence workers and name
    // objects), the retry budget counts from here.
    ["attempt_base", "INT NOT NULL DEFAULT 0"],
    // Set by the app (or the CLI) to cancel; the task then ends in 3 saying by whom.
    ["cancel_requested_at", "DATETIME NULL DEFAULT NULL"],
    ["cancelled_by", "VARCHAR(100) NULL DEFAULT NULL"],
    // A task split across workers (lib/slices): how many slices, and how many are written.
    ["slice_count", "INT NULL DEFAULT NULL"],
    ["slices_done", "INT NULL DEFAULT NULL"],
  ],

  // The seed had VARCHAR(255): too short for a presigned URL (temporary credentials) or a real query.
  widenColumns: [
    ["title", "TEXT NOT NULL"],
    ["query", "MEDIUMTEXT NOT NULL"],
    ["msg", "TEXT NULL"],
    ["filepath", "TEXT NULL"],
  ],

  addColumn: (table, name, ddl) => `ALTER TABLE ${quoteTable(table)} ADD COLUMN ${q(name)} ${ddl}`,
  widenColumn: (table, name, ddl) =>
    `ALTER TABLE ${quoteTable(table)} MODIFY COLUMN ${q(name)} ${ddl}`,
  createIndex: (table, index) =>
    `CREATE INDEX ${q(index)} ON ${quoteTable(table)} (${q("status")}, ${q("id")})`,

  columns(table: TableName): Sql {
    const text = `SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?`;
    return { text, values: [table.schema ?? null, table.name] };
  },
  indexes(table: TableName): Sql {
    const text = `SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?`;
    return { text, values: [table.schema ?? null, table.name] };
  },
  narrowTypes: ["varchar", "char", "tinytext"],
  createControl: (control) =>
    `CREATE TABLE IF NOT EXISTS ${quoteTable(control)} (${q("name")} VARCHAR(64) NOT NULL PRIMARY KEY) ENGINE=InnoDB`,
  createSlices: (t) => `CREATE TABLE IF NOT EXISTS ${quoteTable(t)} (
  ${q("task_id")} INT NOT NULL,
  ${q("n")} INT NOT NULL,
  ${q("task_attempt")} INT NOT NULL,
  ${q("lo")} BIGINT NULL,
  ${q("hi")} BIGINT NULL,
  ${q("planned_rows")} BIGINT NOT NULL DEFAULT 0,
  ${q("row_offset")} BIGINT NOT NULL DEFAULT 0,
  ${q("status")} INT NOT NULL DEFAULT 0,
  ${q("attempts")} INT NOT NULL DEFAULT 0,
  ${q("heartbeat_at")} DATETIME NULL DEFAULT NULL,
  ${q("row_count")} BIGINT NULL DEFAULT NULL,
  ${q("byte_count")} BIGINT NULL DEFAULT NULL,
  ${q("s3_key")} VARCHAR(1024) NULL DEFAULT NULL,
  PRIMARY KEY (${q("task_id")}, ${q("n")})
) ENGINE=InnoDB`,
  seedControl: (control, name) => ({
    text: `INSERT IGNORE INTO ${quoteTable(control)} (${q("name")}) VALUES (?)`,
    values: [name],
  }),
};
