<?php
// Task-finished webhooks of Offline Export, for the receiving PHP side: check the signature and
// the timestamp exactly as README "Notifications" says, then use the event.
// $key: NOTIFY_WEBHOOK_SECRET for the deployment's own webhook (NOTIFY_WEBHOOK_URL); for a
// task's own notify_url, the key derived for that URL's origin (originKey below).

final class OfflineExportWebhook
{
    public const TOLERANCE_SECONDS = 300;

    public static function signature(string $key, string $timestamp, string $body): string
    {
        return 'v1=' . hash_hmac('sha256', $timestamp . '.' . $body, $key);
    }

    /** The key a task's own webhook at $origin ("https://hooks.example.com") is signed with. */
    public static function originKey(string $secret, string $origin): string
    {
        return hash_hmac('sha256', "oe-webhook-v1\n{$origin}", $secret);
    }

    /**
     * The event if the request is genuine and fresh, else null (answer 401). $body must be the
     * raw request body (file_get_contents('php://input')), never a re-encoded array.
     */
    public static function verify(string $key, string $body, string $timestamp, string $signature, ?int $now = null): ?array
    {
        $now ??= time();
        if (!preg_match('/^\d{1,12}$/', $timestamp) || abs($now - (int) $timestamp) > self::TOLERANCE_SECONDS) {
            return null; // missing, or too old / too far ahead: a replay
        }
        if (!hash_equals(self::signature($key, $timestamp, $body), $signature)) {
            return null;
        }
        $event = json_decode($body, true);
        return is_array($event) ? $event : null;
    }

    /** verify() on the current request. */
    public static function fromRequest(string $key): ?array
    {
        return self::verify(
            $key,
            (string) file_get_contents('php://input'),
            (string) ($_SERVER['HTTP_X_OFFLINE_EXPORT_TIMESTAMP'] ?? ''),
            (string) ($_SERVER['HTTP_X_OFFLINE_EXPORT_SIGNATURE'] ?? ''),
        );
    }
}
