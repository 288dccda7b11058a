// The layout's rules, checked on the source text: what may import what, and where engine and
// format names may appear. README "Layout" states the same rules.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";

const root = join(import.meta.dirname, "..", "..");

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [join(dir, e.name)]
        : [],
  );
}

/** Relative imports of a file (type-only ones included), resolved to repo paths. */
function imports(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^"']*?from\s+["'](\.[^"']+)["']/g)) {
    out.push(normalize(join(dirname(file), (m[1] as string).replace(/\.js$/, ".ts"))));
  }
  return out;
}

const lib = tsFiles("lib");
const graph = new Map(lib.map((f) => [f, imports(f)]));

function reachable(from: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...from];
  while (stack.length > 0) {
    const f = stack.pop() as string;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...(graph.get(f) ?? imports(f)));
  }
  return seen;
}

/** Code without comments, so prose may name engines and formats. */
function code(file: string): string {
  return readFileSync(join(root, file), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:])\/\/.*$/gm, "$1");
}

describe("layout", () => {
  it("has no import circle in lib/", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...path.slice(path.indexOf(f)), f].join(" -> "));
        return;
      }
      state.set(f, "open");
      for (const g of graph.get(f) ?? []) visit(g, [...path, f]);
      state.set(f, "done");
    };
    for (const f of lib) visit(f, []);
    assert.deepEqual(cycles, []);
  });

  it("has no two-way tie between lib/ folders: the folders stand in floors (engines above db, sources, failure)", () => {
    // A folder of lib/ is one unit; a file directly in lib/ is its own.
    const unit = (f: string) => f.split("/").slice(0, 2).join("/");
    const ties = new Map<string, Set<string>>();
    for (const [f, targets] of graph) {
      for (const g of targets) {
        if (unit(f) === unit(g)) continue;
        const set = ties.get(unit(f)) ?? new Set<string>();
        set.add(unit(g));
        ties.set(unit(f), set);
      }
    }
    const circles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (u: string, path: string[]) => {
      if (state.get(u) === "done") return;
      if (state.get(u) === "open") {
        circles.push([...path.slice(path.indexOf(u)), u].join(" -> "));
        return;
      }
      state.set(u, "open");
      for (const v of ties.get(u) ?? []) visit(v, [...path, u]);
      state.set(u, "done");
    };
    for (const u of ties.keys()) visit(u, []);
    assert.deepEqual(circles, []);
    // The lower folders never reach up into the engine registry.
    for (const low of ["lib/db", "lib/sources", "lib/failure"])
      assert.ok(!ties.get(low)?.has("lib/engines"), `${low} imports lib/engines`);
    // And the check can fail: engines does reach down into sources.
    assert.ok(ties.get("lib/engines")?.has("lib/sources"));
  });

  it("never lets the deployed functions reach local-only code (lib/local) or lib/ reach functions/", () => {
    const deployed = reachable(tsFiles("functions"));
    const local = [...deployed].filter((f) => f.startsWith(join("lib", "local")));
    assert.deepEqual(local, []);
    for (const f of lib) {
      for (const g of graph.get(f) ?? [])
        assert.ok(!g.startsWith("functions"), `${f} imports ${g}`);
    }
    // And the check itself can fail: the local runner does reach lib/local.
    assert.ok(reachable(["scripts/dev.ts"]).has(join("lib", "local", "local-runner.ts")));
  });

  it("keeps the operator CLI out of the deployed functions: they never reach lib/ops or cli/", () => {
    const deployed = [...reachable(tsFiles("functions"))];
    assert.deepEqual(
      deployed.filter((f) => f.startsWith(join("lib", "ops")) || f.startsWith("cli")),
      [],
    );
    for (const f of lib)
      for (const g of graph.get(f) ?? []) assert.ok(!g.startsWith("cli"), `${f} imports ${g}`);
    // And the check can fail: the CLI does reach lib/ops.
    assert.ok(reachable(["cli/run-verb.ts"]).has(join("lib", "ops", "purge.ts")));
  });

  it("names database engines only in lib/engines, config and URL parsing", () => {
    const allowed = (f: string) =>
      f.startsWith(join("lib", "engines")) || f === "lib/config.ts" || f === "lib/db/url.ts";
    const offenders = lib
      .filter((f) => !allowed(f))
      .filter((f) => /["'`](mysql|postgres|mariadb|postgresql)["'`]/.test(code(f)));
    assert.deepEqual(offenders, []);
  });

  it("names output formats only in lib/formats", () => {
    const offenders = lib
      .filter((f) => !f.startsWith(join("lib", "formats")))
      .filter((f) => /["'`.]csv\b|text\/csv/.test(code(f)));
    assert.deepEqual(offenders, []);
  });

  it("writes status codes by name: no bare status numbers in task SQL", () => {
    const text = code("lib/tasks/sql.ts");
    assert.doesNotMatch(text, /p\([0-3]\)/);
    assert.match(text, /p\(processing\)/);
  });

  it("keeps relative imports inside the repository", () => {
    for (const f of lib)
      for (const g of graph.get(f) ?? [])
        assert.ok(!relative(root, join(root, g)).startsWith(".."));
  });
});
