package roster

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/linli-community/linli/internal/sheet"
)

// ExamplePrefix starts the unit number of the template's example rows, so
// that an example left in the file is refused (ErrExampleRow) rather than
// registered.
const ExamplePrefix = "示例"

// xlsxHeader is the header WriteXLSX writes: the Chinese names a committee
// uses, which Parse and ParseXLSX accept beside the English ones.
var xlsxHeader = []sheet.Column{
	{Name: "房号", Width: 12}, {Name: "楼栋", Width: 8}, {Name: "面积（m²）", Width: 12, Decimal: true}, {Name: "业主", Width: 14},
}

// ParseXLSX reads the first sheet of an .xlsx workbook by the rules of
// Parse, with each problem's Line the sheet's row number. Cells are read
// as the spreadsheet shows them: a number stored with float noise
// (76.849999999999994) in a two-decimal format reads as 76.85, a number
// typed as text reads the same as the number, and surrounding spaces are
// trimmed. Rows above the header that name no column (a title merged
// across the table, say) are skipped.
func ParseXLSX(r io.Reader) ([]Row, error) {
	_, rows, err := sheet.ReadFirst(r)
	if err != nil {
		return nil, &ParseError{Problems: []Problem{{Reason: err.Error(), Code: ErrNotSpreadsheet}}}
	}
	p := parser{skipTitles: true}
	for i, rec := range rows {
		if p.stop {
			break
		}
		p.feed(i+1, rec)
	}
	return p.finish()
}

// WriteXLSX writes rows as an .xlsx workbook that ParseXLSX reads back to
// the same rows: a header row (房号, 楼栋, 面积（m²）, 业主), rows sorted as
// Write sorts them, areas as numbers shown with two decimals. It checks rows
// as Write does.
func WriteXLSX(w io.Writer, rows []Row) error {
	var csvBuf bytes.Buffer
	if err := Write(&csvBuf, rows); err != nil {
		return err
	}
	// Write has checked and sorted the rows; read its lines back.
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvBuf.Bytes(), bom))).ReadAll()
	if err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	return sheet.Write(w, sheet.Table{Name: "名册", Columns: xlsxHeader, Rows: recs[1:]})
}

// templateNotes explain the columns, on the template's second sheet (and
// after a CSV template, on standard error).
var templateNotes = []string{
	"填写说明：每套房屋一行，第一行是表头，不要改动。",
	"房号（unit）：如 3-502，只能用汉字、字母、数字和 - _ .，不能重复。",
	"楼栋（building）：如 3，表决范围按楼栋划分时用它。",
	"面积（area_m2）：专有面积，单位平方米，最多两位小数，如 89.5，不要带单位。",
	"业主（owner）：业主编号，如 O-0001，不要填姓名（名册会公开上链）。同一业主的几套房填同一个编号；开发商未售出的房屋填同一个编号，如 developer。",
	"以“" + ExamplePrefix + "”开头的两行是示例，导入前请删掉；留着的话导入会被拒绝。",
	"填好后运行：linli roster import 本文件",
}

// templateRows are the template's examples, refused on import.
var templateRows = [][]string{
	{ExamplePrefix + "3-502", "3", "89.50", "O-0001"},
	{ExamplePrefix + "3-501", "3", "120.00", "O-0001"},
}

// WriteTemplate writes an empty roster to fill in: the header and two
// example rows that cannot be imported by mistake, as .xlsx (with the
// columns explained on a second sheet) or as CSV.
func WriteTemplate(w io.Writer, xlsx bool) error {
	if xlsx {
		return sheet.Write(w, sheet.Table{Name: "名册", Columns: xlsxHeader, Rows: templateRows,
			NotesName: "填写说明", Notes: templateNotes})
	}
	if _, err := w.Write(bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(columns)
	cw.WriteAll(templateRows)
	return cw.Error()
}

// TemplateNotes returns the explanation of the columns, one line each.
func TemplateNotes() string { return strings.Join(templateNotes, "\n") }
