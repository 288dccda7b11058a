import { quoteChecked } from "../../identifiers.js";

export const postgresQuoteIdent = (ident: string): string => quoteChecked(ident, '"', '"');
