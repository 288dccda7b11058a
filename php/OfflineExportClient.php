<?php
// The PHP app's side of Offline Export: create a task (and send it to the queue for an
// immediate start), read one, list a creator's, cancel, re-run a failed one, mint its stable
// link. Same statements as the worker's (lib/tasks/sql.ts), on MySQL/MariaDB or PostgreSQL.
//
//   $client = new OfflineExportClient($pdo, 'box_download_task', OfflineExportQueue::fromEnv());
//   $id = $client->create('订单导出', '序号,订单号,金额', 'SELECT order_no, amount FROM orders', $user);
require_once __DIR__ . '/OfflineExportException.php';
require_once __DIR__ . '/OfflineExportSql.php';
require_once __DIR__ . '/OfflineExportDb.php';
require_once __DIR__ . '/OfflineExportTask.php';
require_once __DIR__ . '/OfflineExportQueue.php';
require_once __DIR__ . '/OfflineExportLink.php';

final class OfflineExportClient
{
    /** status code => the word panels show */
    public const STATES = [0 => 'pending', 1 => 'running', 2 => 'succeeded', 3 => 'failed'];

    private readonly OfflineExportDb $db;
    private readonly OfflineExportSql $sql;

    /** $queue: null to leave every start to the scheduler's poll. */
    public function __construct(private readonly PDO $pdo, private readonly string $table = 'box_download_task', private readonly ?OfflineExportQueue $queue = null)
    {
        $this->db = new OfflineExportDb($pdo);
        $this->sql = new OfflineExportSql($this->db->driver, $table);
    }

    /** A PDO for a TASK_DB_URL-style URL (mysql://user:pass@host:port/db or postgres://...). */
    public static function connect(string $url): PDO
    {
        return OfflineExportDb::connect($url);
    }

    /** Inserts a task (options checked as the worker will) and sends it to the queue; its id. */
    public function create(string $name, string $title, string $sql, string $creator, array $options = []): int
    {
        $id = OfflineExportTask::create($this->pdo, $this->table, $name, $title, $sql, $creator, $options);
        $this->queue?->publish($id);
        return $id;
    }

    /** One task, or null when there is none with that id. Keys: see row(). */
    public function find(int $id): ?array
    {
        $r = $this->db->run(...$this->sql->get($id))->fetch(PDO::FETCH_ASSOC);
        return $r === false ? null : self::row($r);
    }

    public function get(int $id): array
    {
        return $this->find($id) ?? throw new OfflineExportException("task {$id} was not found", 'not-found');
    }

    /**
     * A creator's tasks, newest first, $limit at a time; pass the last id of a page as $beforeId
     * for the next. $statuses: only these (0-3), or all.
     */
    public function list(string $creator, int $limit = 20, ?int $beforeId = null, array $statuses = []): array
    {
        if ($limit < 1 || $limit > 1000) {
            throw new OfflineExportException("a page holds 1 to 1000 tasks, not {$limit}");
        }
        foreach ($statuses as $s) {
            if (!is_int($s) || !isset(self::STATES[$s])) {
                throw new OfflineExportException('a status filter takes 0, 1, 2 or 3, not ' . json_encode($s));
            }
        }
        // The creator must match exactly. MySQL's usual collations also match "Alice" and
        // "alice " to "alice", so rows of another creator are dropped and the page filled on.
        $out = [];
        do {
            $rows = $this->db->run(...$this->sql->list($creator, array_values($statuses), $beforeId, $limit))->fetchAll(PDO::FETCH_ASSOC);
            foreach ($rows as $r) {
                $beforeId = (int) $r['id'];
                if ($r['creater_name'] === $creator) {
                    $out[] = self::row($r);
                    if (count($out) === $limit) {
                        return $out;
                    }
                }
            }
        } while (count($rows) === $limit);
        return $out;
    }

    /**
     * Cancels a task for $by (who asked; at most 100 characters are kept). A pending task ends
     * in 3 at once ('cancelled'); a running one is flagged and its worker stops it within a few
     * seconds, ending it in 3 ('stopping'). Anything else throws, saying why.
     */
    public function cancel(int $id, string $by): string
    {
        OfflineExportTask::text('canceller', $by, 0, PHP_INT_MAX);
        preg_match('/^.{0,100}/su', $by, $m);
        $who = $m[0];
        $named = preg_match('/^[\s\p{Z}\x{FEFF}]*$/u', $who) ? 'someone' : $who;
        $changed = $this->db->run(...$this->sql->cancel($id, $who, "Cancelled by {$named} before it started."))->rowCount() === 1;
        $task = $this->find($id);
        if ($changed) {
            // A flagged running task stays 1 until its worker ends it.
            return $task !== null && $task['status'] === 1 ? 'stopping' : 'cancelled';
        }
        $why = match (true) {
            $task === null => 'there is no such task',
            $task['cancel_requested_at'] !== null && $task['status'] === 1 => 'it is already being cancelled',
            $task['cancel_requested_at'] !== null => 'it was already cancelled',
            $task['status'] === 2 => 'it already succeeded',
            $task['status'] === 3 => 'it already failed',
            default => 'it changed state meanwhile; try again',
        };
        throw new OfflineExportException("task {$id} is not cancellable: {$why}", 'not-cancellable');
    }

    /** Runs a failed (or cancelled) task again as new, and sends it to the queue. */
    public function rerun(int $id): void
    {
        if ($this->db->run(...$this->sql->rerun($id))->rowCount() !== 1) {
            $task = $this->find($id);
            $why = $task === null ? 'there is no such task' : self::now($task['status']) . ' (only a failed task can)';
            throw new OfflineExportException("task {$id} cannot be run again: {$why}", 'not-failed');
        }
        $this->queue?->publish($id);
    }

    /**
     * A stable link to a succeeded task's file (README "Download links"), valid $ttlSeconds
     * (keep it within the bucket's expiry). $secret: the LinkSecret value.
     */
    public function link(int $id, string $baseUrl, string $secret, int $ttlSeconds = 30 * 86400): string
    {
        $task = $this->get($id);
        if ($task['status'] !== 2 || $task['s3_key'] === null) {
            throw new OfflineExportException("task {$id} has no file to link to: " . self::now($task['status']), 'not-succeeded');
        }
        $key = OfflineExportLink::keys($secret)[0];
        return OfflineExportLink::mint($baseUrl, $key, $id, OfflineExportLink::object($task['s3_key']), time() + $ttlSeconds);
    }

    /** Where a task stands, for messages. */
    private static function now(int $status): string
    {
        return ['it has not started yet', 'it is still running', 'it already succeeded', 'it failed'][$status] ?? "its status is {$status}";
    }

    /** A row as PHP values: ints, strings or null; timestamps as Unix seconds. */
    private static function row(array $r): array
    {
        $int = static fn ($v) => $v === null ? null : (int) $v;
        $task = [
            'id' => (int) $r['id'],
            'name' => (string) $r['name'],
            'title' => (string) $r['title'],
            'query' => (string) $r['query'],
            'creator' => (string) $r['creater_name'],
            'options' => $r['options'],
            'status' => (int) $r['status'],
            'state' => self::STATES[(int) $r['status']] ?? 'unknown',
            'msg' => $r['msg'],
            'link' => $r['filepath'],
            's3_key' => $r['s3_key'],
            'rows' => $int($r['row_count']),
            'bytes' => $int($r['byte_count']),
            'attempts' => (int) $r['attempts'],
            'cancelled_by' => $r['cancelled_by'],
            // A task split across workers (the option slice_key): its slices and how many are written.
            'slices' => $r['slice_count'] === null ? null : ['count' => (int) $r['slice_count'], 'done' => (int) $r['slices_done']],
            'waited_seconds' => $int($r['waited_seconds']),
            'run_seconds' => $int($r['run_seconds']),
        ];
        foreach (OfflineExportSql::TIMELINE as $ts) {
            $task[$ts] = $int($r[$ts]);
        }
        return $task;
    }
}
