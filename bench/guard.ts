// The task-SQL guard (lexer and checks) on a query of each engine of the size given (characters,
// argv[2]), bundled by the benchmark and run with plain `node` in a fresh process, as a Lambda
// runs it once per task: the first call (code not yet optimised) and the median of later calls,
// as JSON.
import { DIALECTS } from "../lib/engines/index.js";
import { checkTaskSql } from "../lib/sources/statement-guard.js";

// One UNION branch with every kind of token: quoted names, strings, comments, casts.
const BRANCH = {
  postgres:
    "SELECT o.id, o.order_no, c.name AS \"客户\", 'it''s -- no comment' AS s, $$a /* b */$$ AS d, E'\\n' AS e /* note */ FROM orders o JOIN customers c ON c.id = o.customer_id -- why\nWHERE o.amount >= 10.5 AND o.created_at::date > '2024-01-01' UNION ALL ",
  mysql:
    "SELECT o.id, o.order_no, c.name AS `客户`, 'it''s -- no comment' AS s, \"a \\\" b\" AS d, '\\n' AS e /* note */ FROM orders o JOIN customers c ON c.id = o.customer_id -- why\nWHERE o.amount >= 10.5 AND DATE(o.created_at) > '2024-01-01' # why\nUNION ALL ",
};
const SIZE = Number(process.argv[2] ?? 100_000);

const figures = Object.entries(BRANCH).map(([engine, branch]) => {
  const sql = `${branch.repeat(Math.ceil(SIZE / branch.length))}SELECT 1, 2, 3, 4, 5, 6, 7`;
  const rules = DIALECTS[engine as keyof typeof DIALECTS].guard;
  const time = () => {
    const t0 = process.hrtime.bigint();
    checkTaskSql(rules, sql);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const firstMs = time();
  const later = Array.from({ length: 30 }, time).sort((a, b) => a - b);
  return { engine, chars: sql.length, firstMs, medianMs: later[15] as number };
});
process.stdout.write(`${JSON.stringify(figures)}\n`);
