<?php
// The download centre a PHP app mounts: the signed-in user's exports with status, rows so far,
// size, duration, link, and cancel / re-run buttons. The user comes from the host app (a
// callback), never from the request; actions are POST only, with a per-session CSRF token
// checked by hash_equals; every printed value goes through htmlspecialchars.
require_once __DIR__ . '/../OfflineExportClient.php';
require_once __DIR__ . '/OfflineExportPanelView.php';

final class OfflineExportPanel
{
    public const TOKEN = 'offline_export_csrf';
    private const FLASH = 'offline_export_flash';

    /**
     * @param Closure(): ?string $user the signed-in user's creater_name as the host app knows it; null or '': nobody
     * @param array{url?: string, page_size?: int, refresh_seconds?: int} $options url: where the
     *        panel is mounted (forms post there, actions redirect there); refresh_seconds: reload
     *        while a task is pending or running (0: never)
     */
    public function __construct(private readonly OfflineExportClient $client, private readonly Closure $user, private readonly array $options = [])
    {
    }

    /** Serves this request from PHP's globals. The host has started the session. */
    public function run(): void
    {
        if (session_status() !== PHP_SESSION_ACTIVE) {
            throw new OfflineExportException('start the session before the panel runs: its CSRF token lives there');
        }
        $r = $this->handle($_SERVER['REQUEST_METHOD'] ?? 'GET', $_GET, $_POST, $_SESSION);
        http_response_code($r['status']);
        foreach ($r['headers'] as $name => $value) {
            header("{$name}: {$value}");
        }
        echo $r['body'];
    }

    /** @return array{status: int, headers: array<string, string>, body: string} */
    public function handle(string $method, array $query, array $post, array &$session): array
    {
        $user = ($this->user)();
        if (!is_string($user) || $user === '') {
            return $this->page(401, 'Sign in to see your exports.');
        }
        if (!is_string($session[self::TOKEN] ?? null) || strlen($session[self::TOKEN]) !== 64) {
            $session[self::TOKEN] = bin2hex(random_bytes(32));
        }
        if ($method === 'POST') {
            return $this->act($user, $post, $session);
        }
        if ($method !== 'GET' && $method !== 'HEAD') {
            $refused = $this->page(405, 'Method not allowed.');
            $refused['headers']['Allow'] = 'GET, HEAD, POST';
            return $refused;
        }
        $before = isset($query['before']) && is_string($query['before']) && ctype_digit($query['before']) ? (int) $query['before'] : null;
        $size = $this->options['page_size'] ?? 20;
        $tasks = $this->client->list($user, $size, $before);
        $flash = $session[self::FLASH] ?? null;
        unset($session[self::FLASH]);
        $view = new OfflineExportPanelView($this->options['url'] ?? '', $session[self::TOKEN]);
        $busy = array_filter($tasks, fn ($t) => $t['status'] < 2) !== [];
        $refresh = $busy ? ($this->options['refresh_seconds'] ?? 5) : 0;
        $older = count($tasks) === $size ? end($tasks)['id'] : null;
        return ['status' => 200, 'headers' => self::headers(), 'body' => $view->render($user, $tasks, is_string($flash) ? $flash : null, $refresh, $older)];
    }

    /** cancel or rerun one of the user's own tasks, then back to the list (POST, redirect, GET). */
    private function act(string $user, array $post, array &$session): array
    {
        $sent = $post['csrf'] ?? null;
        if (!is_string($sent) || !hash_equals($session[self::TOKEN], $sent)) {
            return $this->page(403, 'This form has expired. Reload the page and try again.');
        }
        $id = $post['id'] ?? null;
        $action = $post['action'] ?? null;
        if (!is_string($id) || !ctype_digit($id) || strlen($id) > 15 || !in_array($action, ['cancel', 'rerun'], true)) {
            return $this->page(400, 'That request was not understood.');
        }
        $id = (int) $id;
        $task = $this->client->find($id);
        if ($task === null || $task['creator'] !== $user) {
            // Another creator's task reads as no task at all.
            return $this->page(404, "There is no export {$id} of yours.");
        }
        try {
            if ($action === 'cancel') {
                $session[self::FLASH] = $this->client->cancel($id, $user) === 'cancelled'
                    ? "Export {$id} was cancelled."
                    : "Export {$id} is stopping; it ends within a few seconds.";
            } else {
                $this->client->rerun($id);
                $session[self::FLASH] = "Export {$id} will run again.";
            }
        } catch (OfflineExportException $e) {
            if ($e->reason === 'database') {
                throw $e;
            }
            $session[self::FLASH] = $e->getMessage();
        }
        $url = $this->options['url'] ?? '';
        return ['status' => 303, 'headers' => ['Location' => $url === '' ? '?' : $url] + self::headers(), 'body' => ''];
    }

    private function page(int $status, string $text): array
    {
        return ['status' => $status, 'headers' => self::headers(), 'body' => OfflineExportPanelView::message($text)];
    }

    private static function headers(): array
    {
        return [
            'Content-Type' => 'text/html; charset=utf-8',
            'Cache-Control' => 'no-store',
            'X-Content-Type-Options' => 'nosniff',
            // No script at all, no framing (the buttons must not be clickjacked), forms post home.
            'Content-Security-Policy' => "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            'Referrer-Policy' => 'same-origin',
        ];
    }
}
