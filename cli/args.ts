import { parseDuration } from "../lib/ops/durations.js";
import { parseStatuses } from "../lib/ops/statuses.js";
import { type FlagSpec, VERBS, type VerbSpec, verbNamed } from "./verbs.js";

export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    /** The verb whose help to point at, when known. */
    readonly verb?: string,
  ) {
    super(message);
  }
}

export type FlagValue = boolean | number | string | number[];

export type Parsed =
  | { kind: "help"; verb?: VerbSpec }
  | { kind: "run"; verb: VerbSpec; ids: number[]; flags: Record<string, FlagValue> };

const HELP = new Set(["help", "--help", "-h"]);
const MAX_ID = 2_147_483_647;

/**
 * The command line after `offline-export`: a verb, its task ids and its flags (`--flag value`
 * or `--flag=value`; `--` ends the flags). Throws a UsageError saying what is wrong.
 */
export function parseArgs(argv: string[]): Parsed {
  const [first, ...rest] = argv;
  if (first === undefined || HELP.has(first)) {
    if (rest[0] === undefined) return { kind: "help" };
    const verb = verbNamed(rest[0]);
    if (!verb) throw unknownVerb(rest[0]);
    return { kind: "help", verb };
  }
  const verb = verbNamed(first);
  if (!verb) throw unknownVerb(first);
  if (rest.some((a) => a === "--help" || a === "-h")) return { kind: "help", verb };

  const flags: Record<string, FlagValue> = {};
  const ids: number[] = [];
  let flagsDone = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (flagsDone || !arg.startsWith("-") || arg === "-") {
      ids.push(parseId(arg, verb));
      continue;
    }
    if (arg === "--") {
      flagsDone = true;
      continue;
    }
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    const spec = m ? verb.flags[m[1] as string] : undefined;
    if (!m || !spec) {
      throw new UsageError(`${verb.name} has no option ${arg.split("=")[0]}`, verb.name);
    }
    const name = m[1] as string;
    if (name in flags) throw new UsageError(`--${name} is given twice`, verb.name);
    if (spec.kind === "switch") {
      if (m[2] !== undefined) throw new UsageError(`--${name} takes no value`, verb.name);
      flags[name] = true;
      continue;
    }
    const value = m[2] ?? rest[++i];
    if (value === undefined || (m[2] === undefined && value.startsWith("--"))) {
      throw new UsageError(`--${name} needs a value`, verb.name);
    }
    flags[name] = flagValue(name, spec, value, verb.name);
  }

  for (const name of verb.required ?? []) {
    if (!(name in flags)) throw new UsageError(`${verb.name} needs --${name}`, verb.name);
  }
  if (verb.ids === "none" && ids.length > 0) {
    throw new UsageError(`${verb.name} takes no task ids (got ${ids.join(" ")})`, verb.name);
  }
  if (verb.ids !== "none" && ids.length === 0) {
    throw new UsageError(`${verb.name} needs a task id`, verb.name);
  }
  if (verb.ids === "one" && ids.length > 1) {
    throw new UsageError(`${verb.name} takes one task id (got ${ids.length})`, verb.name);
  }
  return { kind: "run", verb, ids, flags };
}

function unknownVerb(name: string): UsageError {
  return new UsageError(
    `unknown verb "${name}": use one of ${VERBS.map((v) => v.name).join(", ")}, or help`,
  );
}

function parseId(arg: string, verb: VerbSpec): number {
  if (!/^\d{1,10}$/.test(arg) || Number(arg) < 1 || Number(arg) > MAX_ID) {
    const what = arg.startsWith("-") ? "a task id or an option" : "a task id";
    throw new UsageError(`"${arg}" is not ${what} (ids are whole numbers from 1)`, verb.name);
  }
  return Number(arg);
}

function flagValue(name: string, spec: FlagSpec, value: string, verb: string): FlagValue {
  switch (spec.kind) {
    case "int": {
      const n = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
      if (!(n >= spec.min && n <= spec.max)) {
        throw new UsageError(
          `--${name} must be a whole number from ${spec.min} to ${spec.max}, not "${value}"`,
          verb,
        );
      }
      return n;
    }
    case "duration": {
      const s = parseDuration(value);
      if (s === undefined) {
        throw new UsageError(
          `--${name} must be an age such as 30m, 12h, 7d or 2w, not "${value}"`,
          verb,
        );
      }
      return s;
    }
    case "statuses":
      try {
        return parseStatuses(value);
      } catch (err) {
        throw new UsageError(`--${name}: ${(err as Error).message}`, verb);
      }
    case "text":
      if (value.trim() === "") throw new UsageError(`--${name} must not be empty`, verb);
      return value;
    default:
      throw new UsageError(`--${name}: unexpected option kind`, verb);
  }
}
