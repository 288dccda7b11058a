<?php
// Creates an export task the way the worker reads it: the seed's four columns, plus the
// optional `options` column (JSON) added by `npm run migrate`. The worker checks the options
// again and fails a task with a msg naming a bad one; checking here tells the user at once.
require_once __DIR__ . '/OfflineExportException.php';
require_once __DIR__ . '/OfflineExportSql.php';
require_once __DIR__ . '/OfflineExportDb.php';

final class OfflineExportTask
{
    /** Each option and the values it takes (the worker's lib/formats/options.ts). */
    public const OPTIONS = [
        'format' => ['csv', 'xlsx'],
        'encoding' => ['gb18030', 'utf8-bom', 'utf8'],
        'escape_formulas' => [true, false],
        'long_digits_as_text' => [true, false],
        'split_rows' => [true, false],
        'compress' => ['none', 'gzip', 'zip'],
    ];

    /** CSV-only options, which an XLSX task may not set (the worker refuses the combination). */
    private const CSV_ONLY = ['encoding', 'escape_formulas', 'long_digits_as_text', 'split_rows', 'compress'];

    /** Options that take a URL: the worker checks the host against NOTIFY_WEBHOOK_ALLOW. */
    public const URL_OPTIONS = ['notify_url'];

    /** Splitting one task across workers (README "Sliced exports"): a column name, a count or rows per slice. */
    public const SLICE_OPTIONS = ['slice_key', 'slices', 'slice_rows'];

    /** The options column's value: JSON, or null for the deployment's defaults. */
    public static function options(array $options): ?string
    {
        if ($options === []) {
            return null;
        }
        foreach ($options as $key => $value) {
            if (in_array($key, self::URL_OPTIONS, true)) {
                // http(s), no user or password; the worker checks the rest (allow-list, addresses).
                if (!is_string($value) || !preg_match('#^https?://[^/?\#@\s]+([/?\#]\S*)?$#i', $value)) {
                    throw new OfflineExportException("option \"{$key}\" must be an https URL without a user or password");
                }
                continue;
            }
            if ($key === 'slice_key') {
                if (!is_string($value) || !preg_match('/^[A-Za-z_][A-Za-z0-9_]{0,62}$/', $value)) {
                    throw new OfflineExportException('option "slice_key" must name a column of the query\'s result (letters, digits and _, not starting with a digit)');
                }
                continue;
            }
            if ($key === 'slices') {
                if (!is_int($value) || $value < 1 || $value > 100) {
                    throw new OfflineExportException('option "slices" must be a whole number from 1 to 100');
                }
                continue;
            }
            if ($key === 'slice_rows') {
                if (!is_int($value) || $value < 1 || $value > 1000000000) {
                    throw new OfflineExportException('option "slice_rows" must be a whole number of rows from 1 to 1000000000');
                }
                continue;
            }
            if (!array_key_exists($key, self::OPTIONS)) {
                throw new OfflineExportException("unknown option \"{$key}\" (the options are " . implode(', ', [...array_keys(self::OPTIONS), ...self::URL_OPTIONS, ...self::SLICE_OPTIONS]) . ')');
            }
            // The worker takes 1/0 for true/false too (README "Task options").
            if (self::OPTIONS[$key] === [true, false] && ($value === 1 || $value === 0)) {
                $options[$key] = $value = $value === 1;
            }
            if (!in_array($value, self::OPTIONS[$key], true)) {
                throw new OfflineExportException("option \"{$key}\" must be one of " . implode(', ', array_map('json_encode', self::OPTIONS[$key])));
            }
        }
        // The combinations the worker refuses (lib/formats/options.ts settle), in its words.
        $csv = array_values(array_intersect(array_keys($options), self::CSV_ONLY));
        if (($options['format'] ?? 'csv') !== 'csv' && $csv !== []) {
            throw new OfflineExportException("option \"{$csv[0]}\" applies to CSV only; an XLSX file is already compressed, starts a new sheet every 1,048,575 rows and never runs a cell as a formula");
        }
        if (isset($options['slices']) && !isset($options['slice_key'])) {
            throw new OfflineExportException('option "slices" needs "slice_key": the column to split the rows by');
        }
        if (isset($options['slice_rows']) && !isset($options['slice_key'])) {
            throw new OfflineExportException('option "slice_rows" needs "slice_key": the column to split the rows by');
        }
        if (isset($options['slices'], $options['slice_rows'])) {
            throw new OfflineExportException('options "slices" and "slice_rows" both say how to slice: give one of them');
        }
        if (isset($options['slice_key']) && (($options['format'] ?? 'csv') !== 'csv' || ($options['split_rows'] ?? false) === true || ($options['compress'] ?? 'none') !== 'none')) {
            throw new OfflineExportException('option "slice_key" works for plain CSV files only (format csv, no split_rows, compress none)');
        }
        if (($options['split_rows'] ?? false) === true && ($options['compress'] ?? null) === 'gzip') {
            throw new OfflineExportException('option "split_rows" delivers its parts in one ZIP, so "compress" must be "zip" or "none", not "gzip"');
        }
        return json_encode($options, JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    }

    /**
     * Inserts a task; returns its id. $title: comma-separated header labels (the first heads the
     * row-number column). Text is checked as the columns hold it: UTF-8, no NUL, within length.
     */
    public static function create(PDO $pdo, string $table, string $name, string $title, string $sql, string $creator, array $options = []): int
    {
        self::text('name', $name, 1, 255);
        self::text('title', $title, 0, 65535);
        self::text('SQL', $sql, 1, PHP_INT_MAX);
        self::text('creator', $creator, 1, 100);
        $db = new OfflineExportDb($pdo);
        [$text, $values] = (new OfflineExportSql($db->driver, $table))->insert($name, $title, $sql, $creator, self::options($options));
        $st = $db->run($text, $values);
        // PostgreSQL answers RETURNING id; MySQL's id is the connection's last insert id.
        return (int) ($db->driver === 'pgsql' ? $st->fetchColumn() : $pdo->lastInsertId());
    }

    /** Refuses what the column would refuse or mangle, with a message naming the field. */
    public static function text(string $what, string $value, int $min, int $max): void
    {
        if (!preg_match('//u', $value)) {
            throw new OfflineExportException("the task's {$what} is not UTF-8 text");
        }
        if (str_contains($value, "\0")) {
            throw new OfflineExportException("the task's {$what} contains a NUL character");
        }
        $n = preg_match_all('/./su', $value);
        if ($n < $min || $n > $max) {
            throw new OfflineExportException($min > 0 && $n < $min
                ? "the task's {$what} is empty"
                : "the task's {$what} is {$n} characters long; at most {$max} fit");
        }
    }
}
