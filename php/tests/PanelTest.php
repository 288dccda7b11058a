<?php
// The download centre over HTTP, served by `php -S` through the demo host (php/panel/index.php),
// one server per signed-in user as a host app's sessions would have it.
use PHPUnit\Framework\TestCase;

final class PanelTest extends TestCase
{
    /** @var array<string, array{url: string, proc: resource}> */
    private static array $servers = [];
    private static string $alice;
    private static string $bob;

    public static function setUpBeforeClass(): void
    {
        if (getenv('OE_PHP_TASK_DB_URL') === false) {
            return; // each test skips, saying why
        }
        self::$alice = OeTest::creator('alice');
        self::$bob = OeTest::creator("bob's");
        foreach (['alice' => self::$alice, 'bob' => self::$bob, 'nobody' => ''] as $key => $user) {
            self::$servers[$key] = self::serve($user);
        }
    }

    public static function tearDownAfterClass(): void
    {
        foreach (self::$servers as $s) {
            proc_terminate($s['proc']);
            proc_close($s['proc']);
            // Keep what matters of the server's log (PHP's own errors), then drop the access lines.
            foreach (@file($s['log']) ?: [] as $line) {
                if (preg_match('/PHP (Fatal|Parse|Warning|Notice|Deprecated)/', $line)) {
                    fwrite(STDERR, "[php -S] {$line}");
                }
            }
            @unlink($s['log']);
        }
    }

    /** php -S on a free port, with the demo host's configuration in its environment. */
    private static function serve(string $user): array
    {
        $probe = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr(strrchr(stream_socket_get_name($probe, false), ':'), 1);
        fclose($probe);
        $env = getenv();
        $env['OE_PANEL_USER'] = $user;
        $env['TASK_DB_URL'] = OeTest::env('OE_PHP_TASK_DB_URL');
        $env['TASK_TABLE'] = OeTest::env('OE_PHP_TASK_TABLE');
        // No queue: "Run again" leaves the task pending (no scheduler runs here), so what the
        // page says next does not race the worker.
        unset($env['EXPORT_QUEUE_URL']);
        $log = sys_get_temp_dir() . "/oe-php-panel-{$port}.log";
        $proc = proc_open([PHP_BINARY, '-S', "127.0.0.1:{$port}", dirname(__DIR__) . '/panel/index.php'], [0 => ['file', '/dev/null', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']], $pipes, null, $env);
        $url = "http://127.0.0.1:{$port}/";
        OeTest::until(fn () => @fsockopen('127.0.0.1', $port) ?: null, 10, "php -S on {$port}");
        return ['url' => $url, 'proc' => $proc, 'log' => $log];
    }

    /** GET the page as a new session: [body, session cookie, CSRF token]. */
    private function open(string $who): array
    {
        [$status, $headers, $body] = OeTest::http('GET', self::$servers[$who]['url']);
        $this->assertSame(200, $status, $body);
        $cookie = null;
        foreach ($headers as $h) {
            if (preg_match('/^Set-Cookie: (PHPSESSID=[^;]+)/i', $h, $m)) {
                $cookie = $m[1];
            }
        }
        $this->assertNotNull($cookie);
        $this->assertMatchesRegularExpression('/name="csrf" value="([0-9a-f]{64})"/', $body);
        preg_match('/name="csrf" value="([0-9a-f]{64})"/', $body, $m);
        return [$body, $cookie, $m[1]];
    }

    public function testListsTheCreatorsOwnTasksEscapedAndNoOneElses(): void
    {
        $client = OeTest::client(false);
        $evil = "<script>alert(\"x\")</script> & 'q' <img src=x onerror=alert(1)>";
        $mine = $client->create($evil, '序号,n', 'SELECT 1', self::$alice);
        $theirs = $client->create("bob's \"secret\" export", '序号,n', 'SELECT 1', self::$bob);
        $done = OeTest::client()->create('done', '序号,编号,名称', OeTest::env('OE_PHP_SMALL_SQL'), self::$alice);
        $finished = OeTest::until(fn () => ($t = $client->get($done))['status'] >= 2 ? $t : null, 30, "task {$done} to finish");

        [$page] = $this->open('alice');
        $this->assertStringContainsString('<td>' . htmlspecialchars($evil, ENT_QUOTES | ENT_HTML5) . '</td>', $page);
        $this->assertStringNotContainsString('<script', $page);
        $this->assertStringNotContainsString('<img', $page);
        $this->assertStringNotContainsString('secret', $page);
        $this->assertStringContainsString('<a href="' . htmlspecialchars($finished['link'], ENT_QUOTES | ENT_HTML5) . '" rel="noreferrer">Download</a>', $page);
        $this->assertStringContainsString('<meta http-equiv="refresh"', $page, 'a pending task: the page refreshes itself');

        [$page] = $this->open('bob');
        $this->assertStringContainsString('bob&apos;s &quot;secret&quot; export', $page);
        $this->assertStringNotContainsString('alert', $page);
        $this->assertStringNotContainsString('Download', $page);

        [$status, , $page] = OeTest::http('GET', self::$servers['nobody']['url']);
        $this->assertSame([401, false], [$status, str_contains($page, 'secret')]);
        foreach ([$mine, $theirs] as $id) {
            $client->cancel($id, 'test');
        }
    }

    public function testActionsArePostOnlyWithTheSessionsToken(): void
    {
        $client = OeTest::client(false);
        $id = $client->create('csrf', '序号,n', 'SELECT 1', self::$alice);
        [, $cookie, $token] = $this->open('alice');
        [, , $otherToken] = $this->open('alice'); // another session's token
        $url = self::$servers['alice']['url'];
        $refused = [
            'no token' => ['id' => $id, 'action' => 'cancel'],
            'wrong token' => ['id' => $id, 'action' => 'cancel', 'csrf' => str_repeat('0', 64)],
            "another session's token" => ['id' => $id, 'action' => 'cancel', 'csrf' => $otherToken],
            'token as an array' => ['id' => $id, 'action' => 'cancel', 'csrf' => [$token]],
        ];
        foreach ($refused as $why => $form) {
            [$status, , $body] = OeTest::http('POST', $url, $form, $cookie);
            $this->assertSame(403, $status, $why);
            $this->assertStringContainsString('This form has expired', $body);
        }
        [$status] = OeTest::http('GET', $url . '?' . http_build_query(['id' => $id, 'action' => 'cancel', 'csrf' => $token]), [], $cookie);
        $this->assertSame(200, $status);
        $this->assertSame(0, $client->get($id)['status'], 'refused and GET requests changed nothing');

        [$status, $headers] = OeTest::http('POST', $url, ['id' => $id, 'action' => 'cancel', 'csrf' => $token], $cookie);
        $this->assertSame(303, $status);
        $this->assertContains('Location: /', $headers);
        $this->assertSame([3, 'Cancelled by ' . self::$alice . ' before it started.'], [$client->get($id)['status'], $client->get($id)['msg']]);
        [, , $page] = OeTest::http('GET', $url, [], $cookie);
        $this->assertStringContainsString("Export {$id} was cancelled.", $page);
        $this->assertStringContainsString('>Run again</button>', $page);

        [$status] = OeTest::http('POST', $url, ['id' => $id, 'action' => 'rerun', 'csrf' => $token], $cookie);
        $this->assertSame([303, 0], [$status, $client->get($id)['status']]);
        [$status] = OeTest::http('POST', $url, ['id' => $id, 'action' => 'rerun', 'csrf' => $token], $cookie);
        [, , $page] = OeTest::http('GET', $url, [], $cookie);
        $this->assertStringContainsString("task {$id} cannot be run again: it has not started yet (only a failed task can)", $page);
        [$status] = OeTest::http('PUT', $url, [], $cookie);
        $this->assertSame(405, $status);
        $client->cancel($id, 'test');
    }

    public function testAnotherCreatorsTaskCannotBeTouched(): void
    {
        $client = OeTest::client(false);
        $id = $client->create('alice only', '序号,n', 'SELECT 1', self::$alice);
        [, $cookie, $token] = $this->open('bob');
        [$status, , $body] = OeTest::http('POST', self::$servers['bob']['url'], ['id' => $id, 'action' => 'cancel', 'csrf' => $token], $cookie);
        $this->assertSame(404, $status);
        $this->assertStringContainsString("There is no export {$id} of yours.", $body);
        $this->assertSame([0, null], [$client->get($id)['status'], $client->get($id)['cancelled_by']]);
        $client->cancel($id, 'test');
    }
}
