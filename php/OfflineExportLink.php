<?php
// Stable download links of Offline Export, for the PHP side: mint a link for a finished task,
// or check one, exactly as the download function does (README, "Download links").
// The key is the LinkSecret stack output's value: a string, or {"current": ..., "previous": ...}.

final class OfflineExportLink
{
    public static function signature(string $key, int $id, string $object, int $expires): string
    {
        return hash_hmac('sha256', "oe-link-v1\n{$id}\n{$object}\n{$expires}", $key);
    }

    /** $object: the last part of the task's s3_key, e.g. task-42-a1-<uuid>.csv */
    public static function mint(string $baseUrl, string $key, int $id, string $object, int $expires): string
    {
        return rtrim($baseUrl, '/') . "/d/{$id}?" . http_build_query([
            'o' => $object,
            'e' => $expires,
            's' => self::signature($key, $id, $object, $expires),
        ]);
    }

    /** True when the signature is right (current or previous key) and the link has not expired. */
    public static function verify(array $keys, int $id, string $object, int $expires, string $sig, int $now): bool
    {
        foreach ($keys as $key) {
            if (is_string($key) && $key !== '' && hash_equals(self::signature($key, $id, $object, $expires), $sig)) {
                return $expires > $now;
            }
        }
        return false;
    }
}
