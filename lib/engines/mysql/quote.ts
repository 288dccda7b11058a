import { quoteChecked } from "../../identifiers.js";

export const mysqlQuoteIdent = (ident: string): string => quoteChecked(ident, "`", "`");
