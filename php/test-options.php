<?php
// php php/test-options.php: OfflineExportTask::options builds the JSON the worker reads and
// refuses what the worker would. Exits 1 on a mismatch.
require __DIR__ . '/OfflineExportTask.php';

$failed = 0;
$check = function (string $what, bool $ok) use (&$failed) {
    echo ($ok ? 'ok' : 'MISMATCH') . " {$what}\n";
    $failed += $ok ? 0 : 1;
};
$check('no options: NULL', OfflineExportTask::options([]) === null);
$check('json', OfflineExportTask::options(['format' => 'csv', 'split_rows' => true, 'compress' => 'zip'])
    === '{"format":"csv","split_rows":true,"compress":"zip"}');
$check('1/0 as true/false', OfflineExportTask::options(['split_rows' => 1, 'escape_formulas' => 0])
    === '{"split_rows":true,"escape_formulas":false}');
$check('notify_url', OfflineExportTask::options(['notify_url' => 'https://hooks.example.com/oe?x=1'])
    === '{"notify_url":"https:\\/\\/hooks.example.com\\/oe?x=1"}');
$check('slice_key', OfflineExportTask::options(['slice_key' => 'id', 'slices' => 8])
    === '{"slice_key":"id","slices":8}');
$check('slice_rows', OfflineExportTask::options(['slice_key' => 'id', 'slice_rows' => 500000])
    === '{"slice_key":"id","slice_rows":500000}');
foreach ([['fromat' => 'xlsx'], ['compress' => 'rar'], ['split_rows' => 'yes'], ['format' => 'xlsx', 'encoding' => 'utf8'],
          ['split_rows' => true, 'compress' => 'gzip'],
          ['notify_url' => 'ftp://x/'], ['notify_url' => 'https://u:p@x/'], ['notify_url' => 1],
          ['slice_key' => 'id; --'], ['slice_key' => 'id', 'slices' => 0], ['slices' => 4],
          ['slice_rows' => 1000], ['slice_key' => 'id', 'slice_rows' => 0], ['slice_key' => 'id', 'slices' => 2, 'slice_rows' => 9],
          ['slice_key' => 'id', 'format' => 'xlsx'], ['slice_key' => 'id', 'compress' => 'gzip']] as $bad) {
    try {
        OfflineExportTask::options($bad);
        $check('refuses ' . json_encode($bad), false);
    } catch (OfflineExportException $e) {
        $check('refuses ' . json_encode($bad) . ': ' . $e->getMessage(), true);
    }
}
exit($failed === 0 ? 0 : 1);
