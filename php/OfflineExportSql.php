<?php
// The task-table statements the PHP side runs, as lib/tasks/sql.ts writes them for the worker:
// the table name is checked before it is quoted into SQL, column names are fixed here, and
// every value is a bound parameter (`?`; PDO numbers them for PostgreSQL). Each method returns
// [sql, values] so the values can never drift from their placeholders.
require_once __DIR__ . '/OfflineExportException.php';

final class OfflineExportSql
{
    public const PENDING = 0;
    public const PROCESSING = 1;
    public const SUCCEEDED = 2;
    public const FAILED = 3;

    /** Timestamps a panel reads, oldest event first (lib/tasks/sql.ts TIMELINE). */
    public const TIMELINE = ['created_at', 'dispatched_at', 'retry_at', 'started_at', 'heartbeat_at', 'cancel_requested_at', 'finished_at'];

    private const COLUMNS = ['id', 'name', 'title', 'query', 'creater_name', 'options', 'status', 'attempts', 'msg', 'filepath', 's3_key', 'row_count', 'byte_count', 'attempt_base', 'cancelled_by', 'slice_count', 'slices_done'];

    public readonly bool $pg;
    private readonly string $t;

    /** $driver: PDO::ATTR_DRIVER_NAME, mysql or pgsql. $table: `table` or `schema.table`. */
    public function __construct(string $driver, string $table)
    {
        if ($driver !== 'mysql' && $driver !== 'pgsql') {
            throw new OfflineExportException("the task table must be MySQL/MariaDB or PostgreSQL, not a {$driver} connection");
        }
        $this->pg = $driver === 'pgsql';
        $parts = explode('.', $table);
        foreach ($parts as $part) {
            // Conservative on purpose, as lib/identifiers.ts: nothing that needs escaping.
            if (count($parts) > 2 || !preg_match('/^[A-Za-z_][A-Za-z0-9_]{0,62}$/D', $part)) {
                throw new OfflineExportException("\"{$table}\" is not a valid table name (letters, digits and _ only, optionally schema.table)");
            }
        }
        $this->t = implode('.', array_map([$this, 'c'], $parts));
    }

    private function c(string $ident): string
    {
        return $this->pg ? "\"{$ident}\"" : "`{$ident}`";
    }

    private function now(): string
    {
        return $this->pg ? 'now()' : 'NOW()';
    }

    private function secondsBetween(string $a, string $b): string
    {
        return $this->pg ? "CAST(EXTRACT(EPOCH FROM ({$b} - {$a})) AS BIGINT)" : "TIMESTAMPDIFF(SECOND, {$a}, {$b})";
    }

    /** Unix seconds: MySQL reads a DATETIME in the session's zone, the one NOW() wrote it in. */
    private function epoch(string $column): string
    {
        return $this->pg ? "CAST(EXTRACT(EPOCH FROM {$column}) AS BIGINT)" : "UNIX_TIMESTAMP({$column})";
    }

    public function insert(string $name, string $title, string $query, string $creator, ?string $options): array
    {
        $cols = ['name', 'title', 'query', 'creater_name'];
        $values = [$name, $title, $query, $creator];
        if ($options !== null) {
            // Only named when set, so the seed's four-column table keeps working.
            $cols[] = 'options';
            $values[] = $options;
        }
        $sql = "INSERT INTO {$this->t} (" . implode(', ', array_map([$this, 'c'], $cols)) . ') VALUES ('
            . implode(', ', array_fill(0, count($cols), '?')) . ')' . ($this->pg ? ' RETURNING ' . $this->c('id') : '');
        return [$sql, $values];
    }

    /** Every column a panel shows, timestamps as Unix seconds, and how long it waited and ran. */
    private function select(): string
    {
        $c = fn (string $x) => $this->c($x);
        $cols = array_map($c, self::COLUMNS);
        foreach (self::TIMELINE as $ts) {
            $cols[] = $this->epoch($c($ts)) . ' AS ' . $c($ts);
        }
        $cols[] = $this->secondsBetween($c('created_at'), $c('started_at')) . ' AS ' . $c('waited_seconds');
        $cols[] = $this->secondsBetween($c('started_at'), "COALESCE({$c('finished_at')}, {$this->now()})") . ' AS ' . $c('run_seconds');
        return 'SELECT ' . implode(', ', $cols) . " FROM {$this->t}";
    }

    public function get(int $id): array
    {
        return [$this->select() . " WHERE {$this->c('id')} = ?", [$id]];
    }

    /** Newest first; $statuses empty: all; $beforeId pages on (lib/tasks/sql.ts list). */
    public function list(string $creator, array $statuses, ?int $beforeId, int $limit): array
    {
        $where = ["{$this->c('creater_name')} = ?"];
        $values = [$creator];
        if ($statuses !== []) {
            $where[] = "{$this->c('status')} IN (" . implode(', ', array_fill(0, count($statuses), '?')) . ')';
            array_push($values, ...$statuses);
        }
        if ($beforeId !== null) {
            $where[] = "{$this->c('id')} < ?";
            $values[] = $beforeId;
        }
        $values[] = $limit;
        return [$this->select() . ' WHERE ' . implode(' AND ', $where) . " ORDER BY {$this->c('id')} DESC LIMIT ?", $values];
    }

    /** A pending task never starts: it ends in 3 at once, saying by whom. */
    public function cancel(int $id, string $by, string $pendingMsg): array
    {
        // One statement, as the worker's store runs it (lib/tasks/sql.ts): no state change can
        // slip between two. status is assigned last: MySQL evaluates SET left to right.
        $c = fn (string $x) => $this->c($x);
        $now = $this->now();
        $was = "{$c('status')} = ?";
        $sql = "UPDATE {$this->t} SET {$c('cancel_requested_at')} = {$now}, {$c('cancelled_by')} = ?, "
            . "{$c('msg')} = CASE WHEN {$was} THEN ? ELSE {$c('msg')} END, "
            . "{$c('finished_at')} = CASE WHEN {$was} THEN {$now} ELSE {$c('finished_at')} END, "
            . "{$c('status')} = CASE WHEN {$was} THEN ? ELSE {$c('status')} END "
            . "WHERE {$c('id')} = ? AND {$c('status')} IN (?, ?) AND {$c('cancel_requested_at')} IS NULL";
        return [$sql, [$by, self::PENDING, $pendingMsg, self::PENDING, self::PENDING, self::FAILED, $id, self::PENDING, self::PROCESSING]];
    }

    /** A failed task back to pending, as new; attempts keep counting (they fence workers). */
    public function rerun(int $id): array
    {
        $c = fn (string $x) => $this->c($x);
        $cleared = ['msg', 'filepath', 's3_key', 'row_count', 'byte_count', 'started_at', 'heartbeat_at', 'finished_at', 'retry_at', 'dispatched_at', 'cancel_requested_at', 'cancelled_by'];
        $set = array_map(fn ($x) => "{$c($x)} = NULL", $cleared);
        $sql = "UPDATE {$this->t} SET {$c('status')} = ?, " . implode(', ', $set) . ", {$c('attempt_base')} = {$c('attempts')} WHERE {$c('id')} = ? AND {$c('status')} = ?";
        return [$sql, [self::PENDING, $id, self::FAILED]];
    }
}
