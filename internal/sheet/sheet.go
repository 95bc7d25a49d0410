// Package sheet reads and writes the .xlsx workbooks committees keep their
// rosters and accounts in, through github.com/xuri/excelize/v2: one table
// per sheet, a bold header row that stays in view, column widths that fit,
// and two-decimal numbers (areas, yuan) stored as numbers so that Excel and
// WPS can add them up and a re-import reads them back unchanged. It knows
// nothing of linli's data; it imports no linli package.
package sheet

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Column is one column of a written table.
type Column struct {
	Name string
	// Width is in characters; 0 means 12.
	Width float64
	// Decimal marks a column of numbers with two decimals ("89.50"): each
	// non-empty value is stored as a number shown as 0.00.
	Decimal bool
}

// Table is one sheet to write.
type Table struct {
	Name    string
	Columns []Column
	Rows    [][]string
	// Notes, if any, go to a second sheet named NotesName, one line a row.
	NotesName string
	Notes     []string
}

// Write writes t as a workbook.
func Write(w io.Writer, t Table) error {
	f := excelize.NewFile()
	defer f.Close()
	const first = "Sheet1"
	if err := f.SetSheetName(first, t.Name); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	twoDecimals, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	if err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	names := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
		col, _ := excelize.ColumnNumberToName(i + 1)
		width := c.Width
		if width == 0 {
			width = 12
		}
		if err := f.SetColWidth(t.Name, col, col, width); err != nil {
			return fmt.Errorf("sheet: %w", err)
		}
		if c.Decimal && len(t.Rows) > 0 {
			end, _ := excelize.CoordinatesToCellName(i+1, len(t.Rows)+1)
			if err := f.SetCellStyle(t.Name, col+"2", end, twoDecimals); err != nil {
				return fmt.Errorf("sheet: %w", err)
			}
		}
	}
	if err := f.SetSheetRow(t.Name, "A1", &names); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	end, _ := excelize.CoordinatesToCellName(len(t.Columns), 1)
	if err := f.SetCellStyle(t.Name, "A1", end, header); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	if err := f.SetPanes(t.Name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	for r, row := range t.Rows {
		for c, v := range row {
			if v == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			if c < len(t.Columns) && t.Columns[c].Decimal {
				// A two-decimal string is exactly what excelize writes back
				// for its nearest float64 at precision 2.
				x, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return fmt.Errorf("sheet: %s: %q is not a number", cell, v)
				}
				err = f.SetCellFloat(t.Name, cell, x, 2, 64)
				if err != nil {
					return fmt.Errorf("sheet: %w", err)
				}
				continue
			}
			if err := f.SetCellStr(t.Name, cell, v); err != nil {
				return fmt.Errorf("sheet: %w", err)
			}
		}
	}
	if len(t.Notes) > 0 {
		if _, err := f.NewSheet(t.NotesName); err != nil {
			return fmt.Errorf("sheet: %w", err)
		}
		if err := f.SetColWidth(t.NotesName, "A", "A", 100); err != nil {
			return fmt.Errorf("sheet: %w", err)
		}
		for i, n := range t.Notes {
			if err := f.SetCellStr(t.NotesName, "A"+strconv.Itoa(i+1), n); err != nil {
				return fmt.Errorf("sheet: %w", err)
			}
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("sheet: %w", err)
	}
	return nil
}

// ReadFirst returns the cells of the workbook's first sheet as a person
// sees them: each value with its number format applied (so a float such
// as 76.849999999999994 shown as 0.00 reads "76.85"), row i of the result
// being sheet row i+1 (empty rows included), trailing empty cells left out.
// A merged range's value is in its top-left cell only.
func ReadFirst(r io.Reader) (name string, rows [][]string, err error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return "", nil, fmt.Errorf("不是能打开的 Excel 文件（.xlsx）：%w", err)
	}
	defer f.Close()
	list := f.GetSheetList()
	if len(list) == 0 {
		return "", nil, fmt.Errorf("Excel 文件里没有工作表")
	}
	rows, err = f.GetRows(list[0])
	if err != nil {
		return "", nil, fmt.Errorf("读取工作表“%s”：%w", list[0], err)
	}
	return list[0], rows, nil
}
