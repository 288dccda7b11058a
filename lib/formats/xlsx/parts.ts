// The workbook's fixed parts (SpreadsheetML, ECMA-376), written as text: all but the sheets
// are a few hundred bytes, and the sheets are streamed by sheets.ts.

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships";
const CT = "application/vnd.openxmlformats-officedocument.spreadsheetml";

export const sheetPath = (n: number) => `xl/worksheets/sheet${n}.xml`;

/** The start of a sheet, up to its first row. With a title row, the row is frozen. */
export function sheetHead(frozenTitle: boolean): string {
  const view = frozenTitle
    ? '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
    : '<sheetView workbookViewId="0"/>';
  return `${XML_HEAD}<worksheet xmlns="${MAIN}" xmlns:r="${REL}"><sheetViews>${view}</sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData>`;
}

export const SHEET_TAIL = "</sheetData></worksheet>";

/** The workbook's sheets, Sheet1..SheetN, in order. */
export function workbookXml(sheets: number): string {
  let list = "";
  for (let n = 1; n <= sheets; n++)
    list += `<sheet name="Sheet${n}" sheetId="${n}" r:id="rId${n}"/>`;
  return `${XML_HEAD}<workbook xmlns="${MAIN}" xmlns:r="${REL}"><bookViews><workbookView/></bookViews><sheets>${list}</sheets></workbook>`;
}

/** The workbook's relationships: its sheets (rId1..rIdN), then its styles. */
export function workbookRelsXml(sheets: number): string {
  let rels = "";
  for (let n = 1; n <= sheets; n++)
    rels += `<Relationship Id="rId${n}" Type="${REL}/worksheet" Target="worksheets/sheet${n}.xml"/>`;
  rels += `<Relationship Id="rId${sheets + 1}" Type="${REL}/styles" Target="styles.xml"/>`;
  return `${XML_HEAD}<Relationships xmlns="${PKG_REL}">${rels}</Relationships>`;
}

/** Every part's content type, each sheet named (so it is written last). */
export function contentTypesXml(sheets: number): string {
  let overrides = `<Override PartName="/xl/workbook.xml" ContentType="${CT}.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="${CT}.styles+xml"/>`;
  for (let n = 1; n <= sheets; n++)
    overrides += `<Override PartName="/${sheetPath(n)}" ContentType="${CT}.worksheet+xml"/>`;
  return `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>${overrides}</Types>`;
}

export const ROOT_RELS_XML = `${XML_HEAD}<Relationships xmlns="${PKG_REL}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;

/**
 * Fonts (regular, bold) and the cell formats in cells.ts STYLE's order: default, title (bold),
 * date, time, time with milliseconds, date-time, date-time with milliseconds.
 */
export const STYLES_XML = `${XML_HEAD}<styleSheet xmlns="${MAIN}"><numFmts count="5"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="hh:mm:ss"/><numFmt numFmtId="166" formatCode="hh:mm:ss.000"/><numFmt numFmtId="167" formatCode="yyyy-mm-dd hh:mm:ss"/><numFmt numFmtId="168" formatCode="yyyy-mm-dd hh:mm:ss.000"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="168" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`;
