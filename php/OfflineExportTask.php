<?php
// Creates an export task the way the worker reads it: the seed's four columns, plus the
// optional `options` column (JSON) added by `npm run migrate`. The worker checks the options
// again and fails a task with a msg naming a bad one; checking here tells the user at once.

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

    /** Options that take a URL: the worker checks the host against NOTIFY_WEBHOOK_ALLOW. */
    public const URL_OPTIONS = ['notify_url'];

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
                    throw new InvalidArgumentException("option \"{$key}\" must be an https URL without a user or password");
                }
                continue;
            }
            if (!array_key_exists($key, self::OPTIONS)) {
                throw new InvalidArgumentException("unknown option \"{$key}\" (the options are " . implode(', ', [...array_keys(self::OPTIONS), ...self::URL_OPTIONS]) . ')');
            }
            if (!in_array($value, self::OPTIONS[$key], true)) {
                throw new InvalidArgumentException("option \"{$key}\" must be one of " . implode(', ', array_map('json_encode', self::OPTIONS[$key])));
            }
        }
        return json_encode($options, JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    }

    /** Inserts a task; returns its id. $title: comma-separated header labels. */
    public static function create(PDO $pdo, string $table, string $name, string $title, string $sql, string $creator, array $options = []): int
    {
        if (!preg_match('/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/', $table)) {
            throw new InvalidArgumentException('bad table name');
        }
        $json = self::options($options);
        if ($json === null) {
            $pdo->prepare("INSERT INTO {$table} (name, title, query, creater_name) VALUES (?, ?, ?, ?)")
                ->execute([$name, $title, $sql, $creator]);
        } else {
            $pdo->prepare("INSERT INTO {$table} (name, title, query, creater_name, options) VALUES (?, ?, ?, ?, ?)")
                ->execute([$name, $title, $sql, $creator, $json]);
        }
        return (int) $pdo->lastInsertId();
    }
}
