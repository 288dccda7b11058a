<?php
// php php/test-vectors.php: checks OfflineExportLink and OfflineExportWebhook against the
// README's test vectors (the same ones test/unit/stable-link.test.ts and notify.test.ts check
// in TypeScript). Exits 1 on a mismatch.
require __DIR__ . '/OfflineExportLink.php';
require __DIR__ . '/OfflineExportWebhook.php';

$key = 'offline-export-test-vector-secret-0001';
$vectors = [
    [42, 'task-42-a1-0b7c1f2e-6d1a-4a8e-9f3b-2c5d8e7f9a10.csv', 1893456000, 'e30bac1f938e6fe55d68f1804062278fccce4e31b64ec0caf3112bb5ae1a9906'],
    [7, 'task-7-a2-5f0e3d2c-1b0a-4987-8654-3210fedcba98.csv', 1767225600, 'f5d4687164355c37653b201727e4a2b33fc79f2d16f4bbfd5766c30cc2b7543e'],
];
$failed = 0;
foreach ($vectors as [$id, $object, $expires, $want]) {
    $got = OfflineExportLink::signature($key, $id, $object, $expires);
    $ok = $got === $want
        && OfflineExportLink::verify([$key], $id, $object, $expires, $want, $expires - 1)
        && !OfflineExportLink::verify([$key], $id, $object, $expires, $want, $expires)
        && !OfflineExportLink::verify([$key], $id + 1, $object, $expires, $want, 0)
        && OfflineExportLink::verify(['n' . str_repeat('x', 40), $key], $id, $object, $expires, $want, 0);
    echo ($ok ? 'ok' : 'MISMATCH') . " id={$id} sig={$got}\n";
    $failed += $ok ? 0 : 1;
}
$link = OfflineExportLink::mint('https://dl.example.com/', $key, 42, $vectors[0][1], 1893456000);
$want = "https://dl.example.com/d/42?o={$vectors[0][1]}&e=1893456000&s={$vectors[0][3]}";
echo ($link === $want ? 'ok' : 'MISMATCH') . " mint {$link}\n";
$failed += $link === $want ? 0 : 1;

// Webhooks (README, "Notifications").
$hookKey = 'offline-export-webhook-test-secret-0001';
$ts = '1767225600';
$body = '{"type":"offline-export.task.finished","id":42,"status":2,"state":"succeeded","creator":"测试员","name":"订单导出","rows":1000,"bytes":52311,"link":"https://dl.example.com/d/42?o=task-42-a1-0b7c1f2e.csv&e=1769817600&s=e30bac1f","msg":null,"finishedAt":"2026-01-01T00:00:00.000Z"}';
$sig = 'v1=17915237fc3bf6ee638462685b3215f1536a86734c2c63d3feabc976af73be03';
$derived = OfflineExportWebhook::originKey($hookKey, 'https://hooks.example.com');
$checks = [
    'webhook signature' => OfflineExportWebhook::signature($hookKey, $ts, $body) === $sig,
    'webhook verify' => OfflineExportWebhook::verify($hookKey, $body, $ts, $sig, 1767225600 + 300)['creator'] === '测试员',
    'webhook too old' => OfflineExportWebhook::verify($hookKey, $body, $ts, $sig, 1767225600 + 301) === null,
    'webhook tampered' => OfflineExportWebhook::verify($hookKey, str_replace('1000', '1001', $body), $ts, $sig, 1767225600) === null,
    're-encoded body refused' => OfflineExportWebhook::verify($hookKey, json_encode(json_decode($body, true)), $ts, $sig, 1767225600) === null,
    'origin key' => $derived === '86e67d85f056e1c08c88122dc2ae4c709219e2a6aaea33e605a02edb281b8016',
    'origin key signature' => OfflineExportWebhook::signature($derived, $ts, $body) === 'v1=3216703ac79e9bc7c8e63150726970f99497072bf7a20a596e050361b00d6a1b',
];
foreach ($checks as $what => $ok) {
    echo ($ok ? 'ok' : 'MISMATCH') . " {$what}\n";
    $failed += $ok ? 0 : 1;
}
exit($failed === 0 ? 0 : 1);
