/** The CLI's exit codes (README "Operator CLI"): scripts branch on them. */
export const EXIT = {
  ok: 0,
  /** Something failed: the database, S3 or SQS could not be reached or refused, or a setting is missing. */
  failure: 1,
  /** The command line is wrong: unknown verb or flag, bad value, missing argument. */
  usage: 2,
  /** It ran, but some tasks were left alone (not in a state the verb acts on, or not there). */
  partial: 3,
} as const;
