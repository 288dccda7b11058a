import type { SqlClient } from "../lib/db/sql-client.js";

/** A small orders table with the text that breaks naive exporters: Chinese, emoji, CJK Ext B, quotes, commas, newlines, NULLs. */
export async function loadDemoOrders(db: SqlClient, rows = 1000): Promise<string> {
  const table = "demo_orders";
  if (db.engine === "mysql") {
    await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
      id INT PRIMARY KEY, order_no VARCHAR(32) NOT NULL, customer VARCHAR(100) NOT NULL,
      amount DECIMAL(12,2) NULL, created_at DATETIME NOT NULL, note TEXT NULL) DEFAULT CHARSET=utf8mb4`);
  } else {
    await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
      id INT PRIMARY KEY, order_no VARCHAR(32) NOT NULL, customer VARCHAR(100) NOT NULL,
      amount NUMERIC(12,2) NULL, created_at TIMESTAMP NOT NULL, note TEXT NULL)`);
  }
  await db.query(`DELETE FROM ${table}`);
  const customers = ["张三", "李四", "王五（北京）", "Zoë", "𠀀𠀁 Ext-B", "😀 emoji 客户"];
  const notes = [null, "普通订单", 'He said "hi", then left', "第一行\n第二行", "=SUM(A1:A2)", ""];
  const ph = (i: number) => (db.engine === "mysql" ? "?" : `$${i}`);
  for (let i = 1; i <= rows; i++) {
    await db.query(
      `INSERT INTO ${table} (id, order_no, customer, amount, created_at, note) VALUES (${ph(1)}, ${ph(2)}, ${ph(3)}, ${ph(4)}, ${ph(5)}, ${ph(6)})`,
      [
        i,
        `NO${String(i).padStart(8, "0")}`,
        customers[i % customers.length],
        i % 7 === 0 ? null : ((i * 12345) % 1000000) / 100,
        `2024-01-${String((i % 28) + 1).padStart(2, "0")} 08:${String(i % 60).padStart(2, "0")}:01`,
        notes[i % notes.length],
      ],
    );
  }
  return table;
}
