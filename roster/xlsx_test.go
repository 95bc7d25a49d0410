package roster

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// otherProgram builds a workbook the way another program might save one:
// a title merged across the table, styles, a Chinese header in another
// column order, numbers with float noise, numbers typed as text, stray
// spaces, an empty row and a second sheet.
func otherProgram(t *testing.T, cells map[string]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "三期名册")
	f.SetCellStr("三期名册", "A1", "阳光花园三期业主名册（2026年12月）")
	if err := f.MergeCell("三期名册", "A1", "D1"); err != nil {
		t.Fatal(err)
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	f.SetCellStyle("三期名册", "A1", "D2", bold)
	f.SetSheetRow("三期名册", "A2", &[]any{"业主", "房号", "楼栋", "面积"})
	for cell, v := range cells {
		f.SetCellValue("三期名册", cell, v)
	}
	twoDecimals, _ := f.NewStyle(&excelize.Style{NumFmt: 2})
	f.SetCellStyle("三期名册", "D3", "D9", twoDecimals)
	f.NewSheet("备注")
	f.SetCellStr("备注", "A1", "unit,building,area_m2,owner")
	f.SetCellStr("备注", "A2", "这一页不是名册")
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseXLSXReadsWhatAPersonSees(t *testing.T) {
	data := otherProgram(t, map[string]any{
		"A3": "O-0001", "B3": "3-502", "C3": 3, "D3": 76.849999999999994,
		"A4": "O-0001 ", "B4": " 3-501", "C4": "3", "D4": "120",
		"A5": "developer", "B5": 101, "C5": "1", "D5": 60.25,
		// row 6 is empty
		"A7": "O-0002", "B7": "１－１０２", "C7": 1.0, "D7": "89.5 ",
	})
	got, err := ParseXLSX(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Line: 3, Unit: "3-502", Building: "3", Area: 7685, Owner: "O-0001"},
		{Line: 4, Unit: "3-501", Building: "3", Area: 12000, Owner: "O-0001"},
		{Line: 5, Unit: "101", Building: "1", Area: 6025, Owner: "developer"},
		{Line: 7, Unit: "1-102", Building: "1", Area: 8950, Owner: "O-0002"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseXLSX =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseXLSXReportsEachBadRowBySheetRow(t *testing.T) {
	data := otherProgram(t, map[string]any{
		"A3": "O-0001", "B3": "3-502", "C3": "3", "D3": 89.5,
		"A4": "O-0002", "B4": "3-503", "C4": "3", "D4": -3,
		"A5": "", "B5": "3-504", "C5": "3", "D5": 70,
		"A6": "王大爷", "B6": "3-505", "C6": "3", "D6": 70,
		"A7": "O-0003", "B7": "3-502", "C7": "3", "D7": 70,
		"A8": "O-0004", "B8": "3-506", "C8": "3", "D8": "70平方米",
		"A9": "O-0005", "B9": "3-507", "C9": "3", "D9": 70.125,
	})
	_, err := ParseXLSX(bytes.NewReader(data))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *ParseError", err)
	}
	type p struct {
		line int
		col  string
		code Code
	}
	var got []p
	for _, pr := range pe.Problems {
		got = append(got, p{pr.Line, pr.Column, pr.Code})
	}
	// Row 9's 70.125 is shown as 70.13 in the 0.00 format, which is what
	// the committee sees and what is read.
	want := []p{
		{4, ColArea, ErrAreaNotPositive},
		{5, ColOwner, ErrEmptyValue},
		{6, ColOwner, ErrOwnerNotLabel},
		{7, ColUnit, ErrDuplicateUnit},
		{8, ColArea, ErrAreaFormat},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %+v\nwant %+v\n%v", got, want, err)
	}
	if !strings.Contains(err.Error(), "第 7 行 unit 列：房号 3-502 与第 3 行重复") {
		t.Errorf("message:\n%v", err)
	}
}

func TestXLSXRoundTrip(t *testing.T) {
	rows := []Row{
		{Unit: "10-101", Building: "10", Area: 7685, Owner: "O-0002"},
		{Unit: "2-101", Building: "2", Area: 12000, Owner: "O-0001"},
		{Unit: "2-102", Building: "2", Area: 1, Owner: "developer"},
		{Unit: "2-103", Building: "2", Area: MaxArea, Owner: "developer"},
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, rows); err != nil {
		t.Fatal(err)
	}
	got, err := ParseXLSX(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Line: 2, Unit: "2-101", Building: "2", Area: 12000, Owner: "O-0001"},
		{Line: 3, Unit: "2-102", Building: "2", Area: 1, Owner: "developer"},
		{Line: 4, Unit: "2-103", Building: "2", Area: MaxArea, Owner: "developer"},
		{Line: 5, Unit: "10-101", Building: "10", Area: 7685, Owner: "O-0002"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}

	// The areas are numbers shown with two decimals, under a frozen header.
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if typ, _ := f.GetCellType("名册", "C2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("area cell type = %v, want a number", typ)
	}
	raw, _ := f.GetCellValue("名册", "C5", excelize.Options{RawCellValue: true})
	if shown, _ := f.GetCellValue("名册", "C5"); shown != "76.85" || raw != "76.85" {
		t.Errorf("area cell shows %q (raw %q), want 76.85", shown, raw)
	}
	if w, _ := f.GetColWidth("名册", "A"); w < 10 {
		t.Errorf("unit column width %v", w)
	}
	if err := WriteXLSX(&bytes.Buffer{}, []Row{{Unit: " 3-502", Building: "3", Area: 1, Owner: "O-1"}}); !errors.Is(err, ErrNotNormal) {
		t.Errorf("WriteXLSX of an unclean row: %v, want ErrNotNormal", err)
	}
}

func TestTemplateCannotBeImportedByMistake(t *testing.T) {
	for _, xlsx := range []bool{true, false} {
		var buf bytes.Buffer
		if err := WriteTemplate(&buf, xlsx); err != nil {
			t.Fatal(err)
		}
		parse := Parse
		if xlsx {
			parse = ParseXLSX
		}
		_, err := parse(bytes.NewReader(buf.Bytes()))
		var pe *ParseError
		if !errors.As(err, &pe) || len(pe.Problems) != 2 || pe.Problems[0].Line != 2 || pe.Problems[1].Line != 3 || !errors.Is(err, ErrExampleRow) {
			t.Errorf("xlsx %v: importing the template: %v", xlsx, err)
		}
	}
	var buf bytes.Buffer
	WriteTemplate(&buf, true)
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if list := f.GetSheetList(); len(list) != 2 || list[1] != "填写说明" {
		t.Errorf("template sheets = %q, want the roster and 填写说明", list)
	}
	if !strings.Contains(TemplateNotes(), "不要填姓名") {
		t.Error("the notes do not warn against names")
	}
}

func TestParseXLSXRefusesWhatIsNotAWorkbook(t *testing.T) {
	_, err := ParseXLSX(strings.NewReader(hdr + "3-502,3,89.5,O-1\n"))
	if !errors.Is(err, ErrNotSpreadsheet) || !strings.Contains(err.Error(), "Excel") {
		t.Errorf("a CSV file as xlsx: %v", err)
	}
}
