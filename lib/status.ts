/** The task row's status codes, as the seed's PHP panel reads them. */
export const STATUS = { pending: 0, processing: 1, succeeded: 2, failed: 3 } as const;
