<?php
// Runs the task-table statements on the host app's PDO: values always go to the server as
// bound parameters of a server-side prepared statement, never into SQL text, so no sql_mode
// (NO_BACKSLASH_ESCAPES, ANSI_QUOTES) or client-side escaping can turn a value into SQL.
require_once __DIR__ . '/OfflineExportException.php';

final class OfflineExportDb
{
    public readonly string $driver;

    public function __construct(private readonly PDO $pdo)
    {
        $this->driver = (string) $pdo->getAttribute(PDO::ATTR_DRIVER_NAME);
    }

    /**
     * A PDO for a task-table URL as the worker takes it (TASK_DB_URL): mysql:// or mariadb://,
     * postgres:// or postgresql://, user:password@host:port/database.
     */
    public static function connect(string $url): PDO
    {
        $u = parse_url($url);
        $scheme = strtolower($u['scheme'] ?? '');
        $driver = match ($scheme) {
            'mysql', 'mariadb' => 'mysql',
            'postgres', 'postgresql' => 'pgsql',
            default => throw new OfflineExportException('the task database URL must start with mysql://, mariadb://, postgres:// or postgresql://'),
        };
        $db = rawurldecode(ltrim($u['path'] ?? '', '/'));
        if (!isset($u['host']) || $db === '') {
            throw new OfflineExportException('the task database URL needs a host and a database: ' . $scheme . '://user:password@host:port/database');
        }
        $port = $u['port'] ?? ($driver === 'mysql' ? 3306 : 5432);
        $dsn = $driver === 'mysql'
            ? "mysql:host={$u['host']};port={$port};dbname={$db};charset=utf8mb4"
            : "pgsql:host={$u['host']};port={$port};dbname={$db}";
        try {
            return new PDO($dsn, rawurldecode($u['user'] ?? ''), rawurldecode($u['pass'] ?? ''), [
                PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
                PDO::ATTR_EMULATE_PREPARES => false,
            ]);
        } catch (PDOException $e) {
            // PDO's message names host and user, never the password.
            throw new OfflineExportException('cannot connect to the task database: ' . $e->getMessage(), 'database', $e);
        }
    }

    /** Prepares and runs one statement; ints are bound as integers (MySQL's LIMIT needs one). */
    public function run(string $sql, array $values): PDOStatement
    {
        // pdo_mysql ignores the per-statement option, so the handle's is switched for the prepare
        // and put back: the host's own queries keep whatever mode it chose.
        $emulated = $this->pdo->getAttribute(PDO::ATTR_EMULATE_PREPARES);
        $errmode = $this->pdo->getAttribute(PDO::ATTR_ERRMODE);
        try {
            $this->pdo->setAttribute(PDO::ATTR_EMULATE_PREPARES, false);
            $this->pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
            $st = $this->pdo->prepare($sql);
            foreach (array_values($values) as $i => $v) {
                $st->bindValue($i + 1, $v, match (true) {
                    is_int($v) => PDO::PARAM_INT,
                    $v === null => PDO::PARAM_NULL,
                    default => PDO::PARAM_STR,
                });
            }
            $st->execute();
            return $st;
        } catch (PDOException $e) {
            throw new OfflineExportException('the task table could not be read or written: ' . $e->getMessage(), 'database', $e);
        } finally {
            $this->pdo->setAttribute(PDO::ATTR_EMULATE_PREPARES, $emulated);
            $this->pdo->setAttribute(PDO::ATTR_ERRMODE, $errmode);
        }
    }
}
