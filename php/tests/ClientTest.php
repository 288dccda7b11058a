<?php
// The client against the real task table and the running worker: a task created from PHP ends
// with a link that downloads, progress is readable, a pending and a running task are cancelled,
// a failed one runs again, and misuse is refused with the project's own messages.
use PHPUnit\Framework\TestCase;

final class ClientTest extends TestCase
{
    public function testATaskCreatedFromPhpEndsWithALinkThatDownloads(): void
    {
        $client = OeTest::client();
        $who = OeTest::creator('php-download');
        $id = $client->create('PHP 导出', '序号,编号,名称', OeTest::env('OE_PHP_SMALL_SQL'), $who);
        $task = OeTest::until(fn () => ($t = $client->get($id))['status'] >= 2 ? $t : null, 30, "task {$id} to finish");
        $this->assertSame(2, $task['status'], (string) $task['msg']);
        $this->assertSame('succeeded', $task['state']);
        $this->assertSame($who, $task['creator']);
        $this->assertSame(5, $task['rows']);
        $this->assertGreaterThan(0, $task['bytes']);
        $this->assertNotNull($task['started_at']);
        $this->assertGreaterThanOrEqual($task['started_at'], $task['finished_at']);
        $this->assertGreaterThanOrEqual(0, $task['run_seconds']);

        // The stored link is a stable link PHP can verify, and it downloads the GB18030 file.
        $keys = OfflineExportLink::keys(OeTest::env('OE_PHP_LINK_SECRET'));
        $this->assertTrue(OfflineExportLink::verifyUrl($keys, $task['link'], time()));
        $csv = iconv('GB18030', 'UTF-8', (string) file_get_contents($task['link']));
        $want = "序号,编号,名称\r\n";
        for ($n = 1; $n <= 5; $n++) {
            $want .= "{$n},{$n},行{$n}\r\n";
        }
        $this->assertSame($want, $csv);

        // A link minted from PHP for the same file verifies and downloads too.
        $minted = $client->link($id, OeTest::env('OE_PHP_LINK_BASE'), OeTest::env('OE_PHP_LINK_SECRET'), 3600);
        $this->assertTrue(OfflineExportLink::verifyUrl($keys, $minted, time()));
        $this->assertFalse(OfflineExportLink::verifyUrl($keys, str_replace('&e=', '&e=1', $minted), time()));
        $this->assertSame($want, iconv('GB18030', 'UTF-8', (string) file_get_contents($minted)));
    }

    public function testCancelsAPendingTaskAtOnce(): void
    {
        $client = OeTest::client(false); // nothing sends it: it stays pending
        $id = $client->create('等待', '序号,n', 'SELECT 1', OeTest::creator('php-pending'));
        $this->assertSame('pending', $client->get($id)['state']);
        $this->assertSame('cancelled', $client->cancel($id, '王五'));
        $task = $client->get($id);
        $this->assertSame([3, 'Cancelled by 王五 before it started.', '王五'], [$task['status'], $task['msg'], $task['cancelled_by']]);
        $this->assertNotNull($task['cancel_requested_at']);
        $this->assertNotNull($task['finished_at']);
        $this->expectExceptionObject(new OfflineExportException("task {$id} is not cancellable: it was already cancelled"));
        $client->cancel($id, 'again');
    }

    public function testCancelsARunningTaskWhichStopsWithinSeconds(): void
    {
        $client = OeTest::client();
        $id = $client->create('大导出', '序号,n', OeTest::env('OE_PHP_BIG_SQL'), OeTest::creator('php-big'));
        // Progress: rows and bytes so far, written every few seconds while it runs.
        $running = OeTest::until(fn () => ($t = $client->get($id))['status'] === 1 && $t['rows'] > 0 ? $t : null, 20, "task {$id} to report progress");
        $this->assertGreaterThan(0, $running['bytes']);
        $this->assertNull($running['finished_at']);

        $asked = microtime(true);
        $this->assertSame('stopping', $client->cancel($id, 'bob'));
        $flagged = $client->get($id);
        $this->assertSame([1, 'bob'], [$flagged['status'], $flagged['cancelled_by']]);
        $this->assertNotNull($flagged['cancel_requested_at']);
        try {
            $client->cancel($id, 'carol');
            $this->fail('a second cancel is refused');
        } catch (OfflineExportException $e) {
            $this->assertSame("task {$id} is not cancellable: it is already being cancelled", $e->getMessage());
            $this->assertSame('not-cancellable', $e->reason);
        }

        $done = OeTest::until(fn () => ($t = $client->get($id))['status'] === 3 ? $t : null, 15, "task {$id} to stop");
        $took = microtime(true) - $asked;
        // A progress tick (3 s) plus stopping the query and the upload; slack for a busy machine.
        $this->assertLessThan(12, $took, 'a running task stops within seconds');
        $this->assertMatchesRegularExpression('/^Cancelled by bob after [\d,]+ rows; no file was kept\.$/', (string) $done['msg']);
        $this->assertNull($done['link']);
        fwrite(STDERR, sprintf("[php] running task %d stopped %.1f s after the cancel, at %s\n", $id, $took, $done['msg']));
    }

    public function testRunsAFailedTaskAgain(): void
    {
        $client = OeTest::client();
        $id = OeTest::client(false)->create('再来', '序号,编号,名称', OeTest::env('OE_PHP_SMALL_SQL'), OeTest::creator('php-rerun'));
        OeTest::client(false)->cancel($id, 'me');
        $client->rerun($id); // and sends it, so the worker starts it at once
        $task = OeTest::until(fn () => ($t = $client->get($id))['status'] >= 2 ? $t : null, 30, "task {$id} to run again");
        $this->assertSame([2, null, null, 5], [$task['status'], $task['msg'], $task['cancelled_by'], $task['rows']]);
        $this->assertNotNull($task['link']);
        $this->expectExceptionObject(new OfflineExportException("task {$id} cannot be run again: it already succeeded (only a failed task can)"));
        $client->rerun($id);
    }

    public function testRefusesWithTheProjectsOwnMessages(): void
    {
        $client = OeTest::client(false);
        $cases = [
            'task 987654321 is not cancellable: there is no such task' => fn () => $client->cancel(987654321, 'x'),
            'task 987654321 cannot be run again: there is no such task' => fn () => $client->rerun(987654321),
            'task 987654321 was not found' => fn () => $client->get(987654321),
            "the task's name is empty" => fn () => $client->create('', '序号,n', 'SELECT 1', 'x'),
            "the task's creator is 101 characters long; at most 100 fit" => fn () => $client->create('n', '序号,n', 'SELECT 1', str_repeat('人', 101)),
            "the task's SQL contains a NUL character" => fn () => $client->create('n', 't', "SELECT 1\0", 'x'),
            "the task's name is not UTF-8 text" => fn () => $client->create("\xff", '序号,n', 'SELECT 1', 'x'),
            'option "compress" must be one of "none", "gzip", "zip"' => fn () => $client->create('n', '序号,n', 'SELECT 1', 'x', ['compress' => 'rar']),
            '"t; DROP TABLE x" is not a valid table name (letters, digits and _ only, optionally schema.table)'
                => fn () => new OfflineExportClient(OfflineExportClient::connect(OeTest::env('OE_PHP_TASK_DB_URL')), 't; DROP TABLE x'),
        ];
        foreach ($cases as $message => $call) {
            try {
                $call();
                $this->fail("no exception for: {$message}");
            } catch (OfflineExportException $e) {
                $this->assertSame($message, $e->getMessage());
            }
        }
        $pending = $client->create('n', '序号,n', 'SELECT 1', OeTest::creator('php-refuse'));
        try {
            $client->link($pending, 'https://dl.example', str_repeat('k', 40));
            $this->fail('no link for a pending task');
        } catch (OfflineExportException $e) {
            $this->assertSame("task {$pending} has no file to link to: it has not started yet", $e->getMessage());
        }
        $client->cancel($pending, 'test');
    }

    public function testStoresQuotesAndBackslashesAsTheyAre(): void
    {
        // Bound values: no escaping mode of the server can make these SQL.
        $client = OeTest::client(false);
        $name = "x'); DROP TABLE t; -- \\' \" `b` \\\\ 名";
        $who = OeTest::creator("o'\\\"");
        $id = $client->create($name, "a,'b',\\c", "SELECT '\\''", $who, ['format' => 'xlsx']);
        $task = $client->get($id);
        $this->assertSame([$name, "a,'b',\\c", "SELECT '\\''", $who, '{"format":"xlsx"}'], [$task['name'], $task['title'], $task['query'], $task['creator'], $task['options']]);
        $client->cancel($id, 'test');
    }

    public function testListsACreatorsTasksNewestFirstPageByPage(): void
    {
        $client = OeTest::client(false);
        $who = OeTest::creator('php-list');
        $ids = [];
        foreach (['一', '二', '三'] as $name) {
            $ids[] = $client->create($name, '序号,n', 'SELECT 1', $who);
        }
        $other = $client->create('别人', '序号,n', 'SELECT 1', OeTest::creator('php-other'));
        $client->cancel($ids[0], 'test');
        $page1 = $client->list($who, 2);
        $this->assertSame([$ids[2], $ids[1]], array_column($page1, 'id'));
        $page2 = $client->list($who, 2, end($page1)['id']);
        $this->assertSame([$ids[0]], array_column($page2, 'id'));
        $this->assertSame([$ids[0]], array_column($client->list($who, 10, null, [3]), 'id'));
        $this->assertSame([$ids[2], $ids[1]], array_column($client->list($who, 10, null, [0, 1]), 'id'));
        $this->assertNotContains($other, array_column($client->list($who, 100), 'id'));

        // Exactly this creator, though MySQL's collation matches case and trailing spaces too.
        $alike = [$client->create('像', '序号,n', 'SELECT 1', strtoupper($who)), $client->create('像', '序号,n', 'SELECT 1', "{$who} ")];
        $this->assertSame([$ids[2], $ids[1]], array_column($client->list($who, 2), 'id'));
        $this->assertSame([$ids[2], $ids[1], $ids[0]], array_column($client->list($who, 100), 'id'));
        $this->assertSame([$alike[0]], array_column($client->list(strtoupper($who), 100), 'id'));
        foreach ([$ids[1], $ids[2], $other, ...$alike] as $id) {
            $client->cancel($id, 'test');
        }
    }
}
