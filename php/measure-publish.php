<?php
// php php/measure-publish.php [N]: times a direct start. Creates N tiny tasks with the client
// (insert + {"id"} to SQS) and measures until each is claimed (status 1), against TASK_DB_URL,
// TASK_TABLE, EXPORT_QUEUE_URL, AWS_REGION, AWS_ENDPOINT_URL, while a worker runs, e.g.
// `npm run local -- --worker-only` (no scheduler, so only the message can start a task).
require __DIR__ . '/OfflineExportClient.php';

$n = max(1, (int) ($argv[1] ?? 10));
$queue = OfflineExportQueue::fromEnv() ?? exit("set EXPORT_QUEUE_URL\n");
if (!$queue->available()) {
    exit('AsyncAws SQS is missing: ' . OfflineExportQueue::INSTALL . "\n");
}
$client = new OfflineExportClient(OfflineExportClient::connect((string) getenv('TASK_DB_URL')), getenv('TASK_TABLE') ?: 'box_download_task', $queue);
$ms = [];
for ($i = 1; $i <= $n; $i++) {
    $t0 = microtime(true);
    $id = $client->create("latency probe {$i}", '序号,n', 'SELECT 1', 'latency-probe');
    while ($client->get($id)['status'] === 0) {
        if (microtime(true) - $t0 > 30) {
            exit("task {$id} was not claimed within 30 s: is a worker running on this queue?\n");
        }
        usleep(5_000);
    }
    $ms[] = $took = (microtime(true) - $t0) * 1000;
    printf("task %d: claimed %.0f ms after insert+publish\n", $id, $took);
    while ($client->get($id)['status'] === 1) {
        usleep(20_000); // one at a time, so each measures an idle worker
    }
}
sort($ms);
printf("%d tasks: median %.0f ms, p90 %.0f ms, max %.0f ms\n", $n, $ms[intdiv($n, 2)], $ms[(int) floor(0.9 * ($n - 1))], $ms[$n - 1]);
