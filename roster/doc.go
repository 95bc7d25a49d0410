// Package roster reads and writes the owners' committee's unit spreadsheet:
// a UTF-8 CSV file or an .xlsx workbook with the columns unit, building,
// area_m2 and owner (or 房号, 楼栋, 面积, 业主), one row per unit.
//
// The committee keeps this file in a spreadsheet program and `linli roster`
// turns it into unit registrations. Parse therefore accepts what spreadsheet
// programs produce (a UTF-8 byte order mark, CRLF line endings, columns in any
// order, empty trailing columns, stray spaces) and rejects everything else
// with a [ParseError] that lists every problem with its line number, in plain
// zh-CN a committee member can act on. Write produces a file Parse reads back
// to the same rows.
//
// Areas are integers in 0.01 m², parsed by hand: no floats are used anywhere.
//
// Package roster imports no linli package but abci/tx (for the natural
// order the chain sorts by) and internal/sheet (workbooks, through
// excelize), and nothing in it touches the network or the clock; it reads
// and writes only the readers and writers it is given.
package roster
