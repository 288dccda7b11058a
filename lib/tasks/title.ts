/**
 * The seed's `title`: labels separated by ASCII commas, trimmed. Full-width commas stay inside
 * a label (金额（元，含税）), as the seed's split(',') kept them. Blank: no header line.
 */
export function parseTitle(title: string): string[] {
  if (title.trim() === "") return [];
  return title.split(",").map((s) => s.trim());
}
