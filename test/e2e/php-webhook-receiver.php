<?php
// The receiver a PHP app runs, under `php -S` for test/e2e/notify.test.ts: a task's own
// notify_url at this origin, checked with php/OfflineExportWebhook.php and the key derived
// for the origin. Writes one JSON line per request to OE_HOOK_LOG.
require __DIR__ . '/../../php/OfflineExportWebhook.php';

$key = OfflineExportWebhook::originKey((string) getenv('OE_HOOK_SECRET'), 'http://' . $_SERVER['HTTP_HOST']);
$event = OfflineExportWebhook::fromRequest($key);
file_put_contents(
    (string) getenv('OE_HOOK_LOG'),
    json_encode(['path' => $_SERVER['REQUEST_URI'], 'event' => $event], JSON_UNESCAPED_UNICODE) . "\n",
    FILE_APPEND,
);
http_response_code($event === null ? 401 : 200);
