<?php
// The download centre's HTML. Every value printed passes through h(): task names, messages and
// links are user input or come from the task table, and must never become markup.

final class OfflineExportPanelView
{
    private const STYLE = 'body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}'
        . 'th,td{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}'
        . 'td.n{text-align:right}.msg{color:#555;font-size:90%;max-width:32em}.flash{background:#ffd;padding:.5em}'
        . 'form{display:inline}';

    public function __construct(private readonly string $url, private readonly string $token)
    {
    }

    public static function h(string|int|null $v): string
    {
        return htmlspecialchars((string) $v, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML5, 'UTF-8');
    }

    public static function message(string $text): string
    {
        return self::doc('Exports', '', '<p>' . self::h($text) . '</p>');
    }

    public function render(string $user, array $tasks, ?string $flash, int $refresh, ?int $older): string
    {
        $body = '<h1>Exports of ' . self::h($user) . '</h1>';
        if ($flash !== null) {
            $body .= '<p class="flash" role="status">' . self::h($flash) . '</p>';
        }
        if ($tasks === []) {
            $body .= '<p>No exports yet.</p>';
        } else {
            $body .= '<table><thead><tr><th>#</th><th>Name</th><th>Status</th><th>Rows</th><th>Size</th>'
                . '<th>Time</th><th>Created</th><th>File</th><th></th></tr></thead><tbody>';
            foreach ($tasks as $t) {
                $body .= $this->row($t);
            }
            $body .= '</tbody></table>';
        }
        if ($older !== null) {
            $body .= '<p><a href="' . self::h($this->url . '?before=' . $older) . '">Older exports</a></p>';
        }
        $head = $refresh > 0 ? '<meta http-equiv="refresh" content="' . $refresh . '">' : '';
        return self::doc('Exports', $head, $body);
    }

    private function row(array $t): string
    {
        $status = self::h($t['state']);
        if ($t['status'] === 1 && $t['cancel_requested_at'] !== null) {
            $status = 'stopping (cancelled by ' . self::h($t['cancelled_by']) . ')';
        }
        if ($t['msg'] !== null) {
            $status .= '<div class="msg">' . self::h($t['msg']) . '</div>';
        }
        $running = $t['status'] === 1;
        if ($running && ($t['slices'] ?? null) !== null) {
            $status .= ' (' . self::h($t['slices']['done']) . ' of ' . self::h($t['slices']['count']) . ' slices written)';
        }
        $rows = $t['rows'] === null ? '' : number_format($t['rows']) . ($running ? ' so far' : '');
        $size = $t['bytes'] === null ? '' : self::size($t['bytes']);
        $time = $t['run_seconds'] === null ? '' : self::duration($t['run_seconds']);
        $link = is_string($t['link']) && $t['status'] === 2 && preg_match('~^https?://~i', $t['link'])
            ? '<a href="' . self::h($t['link']) . '" rel="noreferrer">Download</a>' : '';
        $actions = '';
        if ($t['status'] === 0 || ($running && $t['cancel_requested_at'] === null)) {
            $actions = $this->button($t['id'], 'cancel', 'Cancel');
        } elseif ($t['status'] === 3) {
            $actions = $this->button($t['id'], 'rerun', 'Run again');
        }
        return '<tr><td class="n">' . self::h($t['id']) . '</td><td>' . self::h($t['name']) . '</td><td>' . $status
            . '</td><td class="n">' . self::h($rows) . '</td><td class="n">' . self::h($size) . '</td><td class="n">'
            . self::h($time) . '</td><td>' . self::h(date('Y-m-d H:i', (int) $t['created_at'])) . '</td><td>' . $link
            . '</td><td>' . $actions . '</td></tr>';
    }

    private function button(int $id, string $action, string $label): string
    {
        return '<form method="post" action="' . self::h($this->url) . '">'
            . '<input type="hidden" name="csrf" value="' . self::h($this->token) . '">'
            . '<input type="hidden" name="id" value="' . $id . '">'
            . '<input type="hidden" name="action" value="' . self::h($action) . '">'
            . '<button>' . self::h($label) . '</button></form>';
    }

    private static function size(int $bytes): string
    {
        $units = ['B', 'KB', 'MB', 'GB', 'TB'];
        $i = 0;
        $n = (float) $bytes;
        while ($n >= 1024 && $i < count($units) - 1) {
            $n /= 1024;
            $i++;
        }
        return $i === 0 ? "{$bytes} B" : sprintf('%.1f %s', $n, $units[$i]);
    }

    private static function duration(int $s): string
    {
        $s = max(0, $s);
        return $s < 60 ? "{$s} s" : ($s < 3600 ? sprintf('%d min %02d s', intdiv($s, 60), $s % 60) : sprintf('%d h %02d min', intdiv($s, 3600), intdiv($s % 3600, 60)));
    }

    private static function doc(string $title, string $head, string $body): string
    {
        return '<!doctype html><html lang="en"><meta charset="utf-8"><title>' . self::h($title) . '</title>' . $head
            . '<style>' . self::STYLE . '</style><body>' . $body . "</body></html>\n";
    }
}
