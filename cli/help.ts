import { VERBS, type VerbSpec } from "./verbs.js";

export const EXIT_CODES_TEXT = `Exit codes:
  0  done
  1  failure: the task database, S3 or SQS could not be reached or refused, or a setting is missing
  2  usage error: unknown verb or option, bad value, missing argument
  3  some tasks were left alone (not in a state the verb acts on, or not there)`;

export function helpText(verb?: VerbSpec): string {
  if (verb) return `Usage: npx offline-export ${verb.help}\n\n${EXIT_CODES_TEXT}`;
  const width = Math.max(...VERBS.map((v) => v.name.length));
  return `Usage: npx offline-export <verb> [options]

The operator's view of the export task table: what runs, what failed, and the few things an
operator does about it.

Verbs:
${VERBS.map((v) => `  ${v.name.padEnd(width)}  ${v.summary}`).join("\n")}
  help ${"".padEnd(width - 5)}  this text; \`help <verb>\` or \`<verb> --help\` for a verb's options

Settings come from the environment, as the functions read them: TASK_DB_URL (or
TASK_DB_SECRET_ARN), TASK_TABLE, EXPORT_BUCKET, AWS_REGION (AWS_ENDPOINT_URL for an emulator),
EXPORT_KEY_PREFIX, LEASE_SECONDS, MAX_ATTEMPTS; EXPORT_QUEUE_URL only for enqueue and retry.
Output is a table (cut to the terminal's width on a terminal); --json prints one JSON document.

${EXIT_CODES_TEXT}`;
}
