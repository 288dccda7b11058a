<?php
// Stable download links of Offline Export, for the PHP side: mint a link for a finished task,
// or check one, exactly as the download function does (README, "Download links").
// The key is the LinkSecret stack output's value: a string, or {"current": ..., "previous": ...}
// (keys() reads either).
require_once __DIR__ . '/OfflineExportException.php';

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

    /**
     * The keys in a LinkSecret value, current first: a string, or {"current": ..., "previous": ...}
     * while rotating (lib/links/stable-link.ts parseLinkKeys).
     */
    public static function keys(string $secret): array
    {
        $text = trim($secret);
        $keys = [$text];
        if (str_starts_with($text, '{')) {
            $parsed = json_decode($text, true);
            if (!is_array($parsed) || !is_string($parsed['current'] ?? null)) {
                throw new OfflineExportException('the link secret looks like JSON but has no "current" string; expected {"current": "..."}');
            }
            $previous = $parsed['previous'] ?? null;
            if ($previous !== null && !is_string($previous)) {
                throw new OfflineExportException('the link secret\'s "previous" must be a string');
            }
            $keys = $previous === null || $previous === '' ? [$parsed['current']] : [$parsed['current'], $previous];
        }
        foreach ($keys as $key) {
            if (strlen($key) < 32) {
                throw new OfflineExportException('the link secret must be at least 32 characters');
            }
        }
        return $keys;
    }

    /** The last part of a task's s3_key, which a link names. */
    public static function object(string $s3Key): string
    {
        return substr($s3Key, strrpos($s3Key, '/') === false ? 0 : strrpos($s3Key, '/') + 1);
    }

    /** True when a whole link is one of ours, unaltered and unexpired; its base URL is not checked. */
    public static function verifyUrl(array $keys, string $link, int $now): bool
    {
        $path = (string) parse_url($link, PHP_URL_PATH);
        parse_str((string) parse_url($link, PHP_URL_QUERY), $q);
        if (!preg_match('~/d/(\d{1,15})$~D', $path, $m)) {
            return false;
        }
        foreach (['o' => '/^[A-Za-z0-9._-]{1,200}$/D', 'e' => '/^\d{1,12}$/D', 's' => '/^[0-9a-f]{64}$/D'] as $k => $shape) {
            if (!is_string($q[$k] ?? null) || !preg_match($shape, $q[$k])) {
                return false;
            }
        }
        return self::verify($keys, (int) $m[1], $q['o'], (int) $q['e'], $q['s'], $now);
    }
}
