// npx tsx bench/profile-top.ts FILE.cpuprofile [N]
// The functions with the most self time in a V8 CPU profile (node --cpu-prof), as a table:
// how the bench's profiles are read (OE_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR").
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, count] = process.argv.slice(2);
if (!file) throw new Error("usage: tsx bench/profile-top.ts FILE.cpuprofile [N]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Self time per sample: the time until the next sample, charged to the sampled node.
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i + 1] ?? 0;
  const node = byId.get(id);
  if (!node) return;
  const f = node.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\//, "")}:${f.lineNumber + 1}` : "";
  const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(count ?? 10));
console.log(`| function | self ms | share |\n|---|---|---|`);
for (const [name, us] of rows)
  console.log(`| ${name} | ${(us / 1000).toFixed(0)} | ${((100 * us) / total).toFixed(1)} % |`);
console.log(`| (all samples) | ${(total / 1000).toFixed(0)} | 100 % |`);
