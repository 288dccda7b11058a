<?php
// Sends {"id": N} to the task queue so a worker claims a new task at once, instead of at the
// scheduler's next poll. It is only a head start: the task is already in the table, and the
// scheduler sends whatever is still pending, so a missing SDK or a failed send loses nothing.
// The SDK is AsyncAws SQS: Debian's php-async-aws-sqs (loaded from /usr/share/php), or the
// host app's own Composer copy if its autoloader already provides it.

final class OfflineExportQueue
{
    public const INSTALL = 'apt-get install -y php-async-aws-sqs';
    private const CLIENT = 'AsyncAws\Sqs\SqsClient';

    /** Said once per process, not once per task. */
    private static bool $warnedMissing = false;

    /** @var object|false|null the SqsClient; false: the SDK is missing */
    private $client = null;
    /** @var callable(string): void */
    private $warn;

    /**
     * @param ?string $endpoint an emulator (AWS_ENDPOINT_URL), or null for AWS itself
     * @param array{accessKeyId?: string, accessKeySecret?: string, sessionToken?: string} $credentials
     *        empty: AsyncAws's chain (AWS_ACCESS_KEY_ID..., the instance or task role)
     * @param ?callable(string): void $warn where warnings go; default trigger_error(E_USER_WARNING)
     * @param string $autoload the SDK's autoloader, resolved on the include path
     */
    public function __construct(
        private readonly string $queueUrl,
        private readonly ?string $region = null,
        private readonly ?string $endpoint = null,
        private readonly array $credentials = [],
        ?callable $warn = null,
        private readonly string $autoload = 'AsyncAws/Sqs/autoload.php',
        private readonly float $timeoutSeconds = 3.0,
    ) {
        $this->warn = $warn ?? static fn (string $m) => trigger_error($m, E_USER_WARNING);
    }

    /** From the worker's variable names (EXPORT_QUEUE_URL, AWS_REGION, AWS_ENDPOINT_URL); null without a queue URL. */
    public static function fromEnv(?callable $warn = null): ?self
    {
        $get = static fn (string $k) => ($v = getenv($k)) === false || $v === '' ? null : $v;
        $url = $get('EXPORT_QUEUE_URL');
        return $url === null ? null : new self($url, $get('AWS_REGION'), $get('AWS_ENDPOINT_URL'), [], $warn);
    }

    /** True when the SDK can be loaded (the host's autoloader, or Debian's). */
    public function available(): bool
    {
        return $this->client() !== false;
    }

    /** Sends {"id": N}; false (and a warning) when it could not, and the scheduler will. */
    public function publish(int $id): bool
    {
        $client = $this->client();
        if ($client === false) {
            return false;
        }
        try {
            $client->sendMessage(['QueueUrl' => $this->queueUrl, 'MessageBody' => json_encode(['id' => $id])])->resolve();
            return true;
        } catch (Throwable $e) {
            ($this->warn)("offline export: could not send task {$id} to the queue ({$e->getMessage()}); it starts at the scheduler's next poll instead");
            return false;
        }
    }

    /** @return object|false */
    private function client()
    {
        if ($this->client !== null) {
            return $this->client;
        }
        if (!class_exists(self::CLIENT)) {
            $file = stream_resolve_include_path($this->autoload);
            if ($file !== false) {
                require_once $file;
            }
        }
        if (!class_exists(self::CLIENT) || !class_exists('Symfony\Component\HttpClient\HttpClient')) {
            if (!self::$warnedMissing) {
                self::$warnedMissing = true;
                ($this->warn)('offline export: the AsyncAws SQS client is not installed (' . self::INSTALL . '), so new tasks start at the scheduler\'s next poll instead of at once');
            }
            return $this->client = false;
        }
        $config = array_filter(['region' => $this->region, 'endpoint' => $this->endpoint] + $this->credentials, fn ($v) => $v !== null);
        // A short timeout: the send happens in a web request, and the scheduler is the fallback.
        $http = \Symfony\Component\HttpClient\HttpClient::create(['timeout' => $this->timeoutSeconds, 'max_duration' => 2 * $this->timeoutSeconds]);
        $class = self::CLIENT;
        return $this->client = new $class($config, null, $http);
    }
}
