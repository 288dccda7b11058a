<?php
// The direct start: a task published from PHP is claimed by the running worker in well under
// a second (the worker here runs without the scheduler, so the message is the only way in).
// Without the SDK the client says so once per process and leaves the task to the poll.
use PHPUnit\Framework\TestCase;

final class QueueTest extends TestCase
{
    public function testAPublishedTaskIsClaimedWellUnderASecond(): void
    {
        $client = OeTest::client();
        $who = OeTest::creator('php-latency');
        $ms = [];
        for ($i = 0; $i < 5; $i++) {
            $t0 = microtime(true);
            $id = $client->create("快 {$i}", '序号,n', 'SELECT 1', $who);
            OeTest::until(fn () => $client->get($id)['status'] >= 1 ?: null, 5, "task {$id} to be claimed");
            $ms[] = (microtime(true) - $t0) * 1000;
            OeTest::until(fn () => $client->get($id)['status'] >= 2 ?: null, 30, "task {$id} to finish");
        }
        sort($ms);
        fwrite(STDERR, sprintf("[php] insert+publish -> status 1: median %.0f ms, max %.0f ms (5 tasks)\n", $ms[2], $ms[4]));
        $this->assertLessThan(1000, $ms[4]);
    }

    public function testWithoutTheSdkItSaysSoOnceAndLeavesTasksToThePoll(): void
    {
        $queueUrl = OeTest::env('EXPORT_QUEUE_URL');
        // A process of its own: "once per process", and no SDK class loaded before.
        $script = <<<'PHP'
            require getenv('OE_PHP_DIR') . '/OfflineExportClient.php';
            $queue = new OfflineExportQueue(getenv('EXPORT_QUEUE_URL'), 'us-east-1', null, [], null, '/nonexistent/AsyncAws/Sqs/autoload.php');
            $client = new OfflineExportClient(OfflineExportClient::connect(getenv('OE_PHP_TASK_DB_URL')), getenv('OE_PHP_TASK_TABLE'), $queue);
            $who = 'php-nosdk-' . bin2hex(random_bytes(3));
            echo $client->create('a', '序号,n', 'SELECT 1', $who), ' ', $client->create('b', '序号,n', 'SELECT 1', $who);
            PHP;
        $env = getenv() + ['OE_PHP_DIR' => dirname(__DIR__), 'EXPORT_QUEUE_URL' => $queueUrl];
        $p = proc_open([PHP_BINARY, '-d', 'display_errors=stderr', '-d', 'log_errors=0', '-r', $script], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        $this->assertSame(0, proc_close($p), $err);
        $this->assertSame(1, substr_count($err, 'not installed (apt-get install -y php-async-aws-sqs)'), $err);
        $this->assertStringContainsString("new tasks start at the scheduler's next poll", $err);

        // Nothing was sent and no scheduler runs here: both stay pending, for the poll to pick up.
        usleep(1_500_000);
        $client = OeTest::client(false);
        foreach (explode(' ', trim($out)) as $id) {
            $task = $client->get((int) $id);
            $this->assertSame([0, null], [$task['status'], $task['dispatched_at']]);
            $client->cancel((int) $id, 'test');
        }
    }

    public function testAFailedSendWarnsAndKeepsTheTask(): void
    {
        $warnings = [];
        $gone = preg_replace('~/[^/]+$~', '/no-such-queue-' . bin2hex(random_bytes(3)), OeTest::env('EXPORT_QUEUE_URL'));
        $queue = new OfflineExportQueue($gone, getenv('AWS_REGION') ?: 'us-east-1', getenv('AWS_ENDPOINT_URL') ?: null, [], function (string $m) use (&$warnings) {
            $warnings[] = $m;
        });
        $this->assertTrue($queue->available());
        $client = new OfflineExportClient(OfflineExportClient::connect(OeTest::env('OE_PHP_TASK_DB_URL')), OeTest::env('OE_PHP_TASK_TABLE'), $queue);
        $id = $client->create('n', '序号,n', 'SELECT 1', OeTest::creator('php-badqueue'));
        $this->assertCount(1, $warnings);
        $this->assertStringStartsWith("offline export: could not send task {$id} to the queue", $warnings[0]);
        $this->assertSame(0, $client->get($id)['status']);
        $client->cancel($id, 'test');
    }
}
