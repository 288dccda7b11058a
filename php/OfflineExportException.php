<?php
// The one exception class the PHP side throws, so a host app catches one thing. The message is
// meant for a person ("task 12 is not cancellable: it already succeeded"); `reason` is for code.

class OfflineExportException extends RuntimeException
{
    /**
     * @param string $reason invalid (a bad argument), not-found, not-cancellable, not-failed,
     *                       not-succeeded, database (the task table could not be read or written)
     */
    public function __construct(string $message, public readonly string $reason = 'invalid', ?Throwable $previous = null)
    {
        parent::__construct($message, 0, $previous);
    }
}
