<?php
// Demo host for the download centre, for local use:
//   OE_PANEL_USER=测试员 TASK_DB_URL=mysql://... TASK_TABLE=box_download_task \
//   php -S 127.0.0.1:8090 php/panel/index.php
// (EXPORT_QUEUE_URL, AWS_REGION, AWS_ENDPOINT_URL too, for "Run again" to start at once.)
// A real host app writes its own few lines instead: its session, its PDO, and the user from its
// own sign-in. OE_PANEL_USER stands in for that sign-in here and must not be used in production.
require_once __DIR__ . '/OfflineExportPanel.php';

$user = getenv('OE_PANEL_USER');
$dbUrl = getenv('TASK_DB_URL');
if ($dbUrl === false || $dbUrl === '') {
    http_response_code(500);
    exit("Set TASK_DB_URL (and OE_PANEL_USER) for the demo panel.\n");
}
if (!is_writable(session_save_path() ?: sys_get_temp_dir())) {
    session_save_path(sys_get_temp_dir());
}
session_start(['cookie_httponly' => true, 'cookie_samesite' => 'Lax', 'use_strict_mode' => true]);
$client = new OfflineExportClient(OfflineExportClient::connect($dbUrl), getenv('TASK_TABLE') ?: 'box_download_task', OfflineExportQueue::fromEnv());
$panel = new OfflineExportPanel($client, fn () => $user === false ? null : $user, ['url' => '/']);
$panel->run();
