import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseArgs, UsageError } from "../../cli/args.js";

const run = (argv: string[]) => {
  const p = parseArgs(argv);
  assert.ok(p.kind === "run");
  return { verb: p.verb.name, ids: p.ids, flags: p.flags };
};
const usage = (argv: string[], message: RegExp, verb?: string) =>
  assert.throws(
    () => parseArgs(argv),
    (err: unknown) => err instanceof UsageError && message.test(err.message) && err.verb === verb,
  );

describe("CLI arguments", () => {
  it("gives help for nothing, help, --help, -h, help <verb> and <verb> --help", () => {
    for (const argv of [[], ["help"], ["--help"], ["-h"]])
      assert.deepEqual(parseArgs(argv), { kind: "help" });
    for (const argv of [
      ["help", "purge"],
      ["purge", "--help"],
      ["purge", "--dry-run", "-h"],
    ]) {
      const p = parseArgs(argv);
      assert.ok(p.kind === "help" && p.verb?.name === "purge");
    }
    usage(["help", "nope"], /unknown verb "nope"/);
  });

  it("reads every list flag, as --flag value and --flag=value", () => {
    assert.deepEqual(
      run([
        "list",
        "--status",
        "failed,pending",
        "--creator=王五",
        "--older-than",
        "7d",
        "--limit=20",
        "--before-id",
        "120",
        "--json",
      ]),
      {
        verb: "list",
        ids: [],
        flags: {
          status: [3, 0],
          creator: "王五",
          "older-than": 604_800,
          limit: 20,
          "before-id": 120,
          json: true,
        },
      },
    );
  });

  it("reads task ids, before, between and after flags, and after --", () => {
    assert.deepEqual(run(["cancel", "3", "--by", "ops", "4", "--", "5"]), {
      verb: "cancel",
      ids: [3, 4, 5],
      flags: { by: "ops" },
    });
    assert.deepEqual(run(["show", "2147483647"]).ids, [2_147_483_647]);
  });

  it("refuses unknown verbs and options, naming the verb whose help to read", () => {
    usage(
      ["lst"],
      /unknown verb "lst": use one of list, show, enqueue, retry, requeue-stuck, cancel, purge, or help/,
    );
    usage(["list", "--colour"], /list has no option --colour/, "list");
    usage(["list", "--by", "x"], /list has no option --by/, "list");
    usage(["list", "-s"], /list has no option -s/, "list");
    usage(["show", "1", "--Json"], /show has no option --Json/, "show");
  });

  it("refuses bad values with the rule they break", () => {
    usage(
      ["list", "--limit", "0"],
      /--limit must be a whole number from 1 to 1000, not "0"/,
      "list",
    );
    usage(["list", "--limit", "5000"], /from 1 to 1000, not "5000"/, "list");
    usage(["list", "--limit", "1.5"], /not "1.5"/, "list");
    usage(
      ["list", "--older-than", "soon"],
      /must be an age such as 30m, 12h, 7d or 2w, not "soon"/,
      "list",
    );
    usage(["list", "--status", "done"], /--status: unknown status "done"/, "list");
    usage(["list", "--creator", " "], /--creator must not be empty/, "list");
    usage(["requeue-stuck", "--lease-seconds", "0"], /from 1 to 86400/, "requeue-stuck");
  });

  it("refuses a missing value, a value on a switch and a flag given twice", () => {
    usage(["list", "--limit"], /--limit needs a value/, "list");
    usage(["list", "--limit", "--json"], /--limit needs a value/, "list");
    usage(["purge", "--dry-run=yes", "--older-than", "1d"], /--dry-run takes no value/, "purge");
    usage(["list", "--limit", "1", "--limit=2"], /--limit is given twice/, "list");
  });

  it("checks ids: needed, one for show, none for list, whole numbers in the id column's range", () => {
    usage(["show"], /show needs a task id/, "show");
    usage(["cancel", "--by", "x"], /cancel needs a task id/, "cancel");
    usage(["show", "1", "2"], /show takes one task id \(got 2\)/, "show");
    usage(["list", "7"], /list takes no task ids \(got 7\)/, "list");
    usage(["enqueue", "abc"], /"abc" is not a task id/, "enqueue");
    usage(["enqueue", "0"], /"0" is not a task id/, "enqueue");
    usage(["enqueue", "2147483648"], /is not a task id/, "enqueue");
    usage(["enqueue", "--", "-3"], /"-3" is not a task id or an option/, "enqueue");
  });

  it("requires --older-than for purge, and only there", () => {
    usage(["purge"], /purge needs --older-than/, "purge");
    assert.deepEqual(run(["purge", "--older-than", "30d", "--dry-run"]).flags, {
      "older-than": 2_592_000,
      "dry-run": true,
    });
  });
});
