<?php
// Shared by the PHPUnit tests. The database tests need what test/e2e/php-client.test.ts sets
// up (a migrated task table, a bucket, a queue, a running worker, the download function) and
// names in OE_PHP_* variables; without them they are skipped, saying so.
require_once __DIR__ . '/../OfflineExportClient.php';
require_once __DIR__ . '/../panel/OfflineExportPanel.php';

final class OeTest
{
    public const HOW = 'needs the task table, queue and worker that test/e2e/php-client.test.ts sets up: run `npm test`, or '
        . '`bash scripts/with-services.sh node --import tsx --test test/e2e/php-client.test.ts`';

    public static function env(string $name): string
    {
        $v = getenv($name);
        if ($v === false || $v === '') {
            \PHPUnit\Framework\Assert::markTestSkipped("{$name} is not set: this test " . self::HOW);
        }
        return $v;
    }

    /** A client on the test's table; with $queue, tasks go straight to the running worker. */
    public static function client(bool $queue = true, ?callable $warn = null): OfflineExportClient
    {
        $pdo = OfflineExportClient::connect(self::env('OE_PHP_TASK_DB_URL'));
        $q = $queue ? new OfflineExportQueue(self::env('EXPORT_QUEUE_URL'), getenv('AWS_REGION') ?: null, getenv('AWS_ENDPOINT_URL') ?: null, [], $warn ?? self::noWarnings()) : null;
        return new OfflineExportClient($pdo, self::env('OE_PHP_TASK_TABLE'), $q);
    }

    public static function noWarnings(): callable
    {
        return static fn (string $m) => \PHPUnit\Framework\Assert::fail("unexpected warning: {$m}");
    }

    /** A creator of the test's own, so the per-creator cap of other tests never holds it up. */
    public static function creator(string $who): string
    {
        return $who . '-' . bin2hex(random_bytes(3));
    }

    /** Polls $check every 20 ms until it returns non-null, or fails after $seconds. */
    public static function until(callable $check, float $seconds, string $what)
    {
        $end = microtime(true) + $seconds;
        do {
            $v = $check();
            if ($v !== null && $v !== false) {
                return $v;
            }
            usleep(20_000);
        } while (microtime(true) < $end);
        \PHPUnit\Framework\Assert::fail("{$what}: not within {$seconds} s");
    }

    /** An HTTP request without following redirects: [status, headers, body]. */
    public static function http(string $method, string $url, array $form = [], ?string $cookie = null): array
    {
        $headers = $cookie === null ? [] : ["Cookie: {$cookie}"];
        $opts = ['method' => $method, 'ignore_errors' => true, 'follow_location' => 0, 'timeout' => 10];
        if ($form !== []) {
            $headers[] = 'Content-Type: application/x-www-form-urlencoded';
            $opts['content'] = http_build_query($form);
        }
        $opts['header'] = implode("\r\n", $headers);
        $body = file_get_contents($url, false, stream_context_create(['http' => $opts]));
        $lines = $http_response_header ?? [];
        preg_match('~^HTTP/\S+ (\d{3})~', $lines[0] ?? '', $m);
        return [(int) ($m[1] ?? 0), $lines, (string) $body];
    }
}
