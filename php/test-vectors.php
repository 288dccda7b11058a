<?php
// php php/test-vectors.php: checks OfflineExportLink against the README's test vectors (the
// same ones test/unit/stable-link.test.ts checks in TypeScript). Exits 1 on a mismatch.
require __DIR__ . '/OfflineExportLink.php';

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
exit($failed === 0 ? 0 : 1);
