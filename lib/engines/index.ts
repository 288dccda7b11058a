import type { Engine } from "../db/url.js";
import type { Dialect } from "./dialect.js";
import { mysqlDialect } from "./mysql/index.js";
import { postgresDialect } from "./postgres/index.js";

/** Every engine's dialect. A new Engine without an entry here, or a Dialect missing a piece, does not compile. */
export const DIALECTS: Record<Engine, Dialect> = {
  mysql: mysqlDialect,
  postgres: postgresDialect,
};
