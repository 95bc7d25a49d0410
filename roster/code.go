package roster

import "strconv"

// Code says which rule a [Problem] breaks. Codes are numbered and
// append-only: a number, once released, keeps its meaning, and a retired
// number is never reused. A Code is an error, so a caller can test a
// [ParseError] with errors.Is(err, ErrDuplicateUnit), and [ParseArea] returns
// the area codes directly.
type Code int

// Problem codes.
const (
	// ErrEmptyFile: the file has no header line (it is empty or blank).
	ErrEmptyFile Code = 1
	// ErrNoRows: the file has a header but no units.
	ErrNoRows Code = 2
	// ErrNoHeader: the first line names none of the four columns.
	ErrNoHeader Code = 3
	// ErrUnknownColumn: the header has a column that is not one of the four,
	// or an unnamed column before the last named one.
	ErrUnknownColumn Code = 4
	// ErrDuplicateColumn: the header names a column twice.
	ErrDuplicateColumn Code = 5
	// ErrMissingColumn: the header lacks one of the four columns.
	ErrMissingColumn Code = 6
	// ErrSyntax: the CSV quoting of a line is broken.
	ErrSyntax Code = 7
	// ErrFieldCount: a row does not have one field per column.
	ErrFieldCount Code = 8
	// ErrEncoding: a field is not valid UTF-8.
	ErrEncoding Code = 9
	// ErrEmptyValue: a required field is empty.
	ErrEmptyValue Code = 10
	// ErrTooLong: a field is longer than its limit in bytes.
	ErrTooLong Code = 11
	// ErrBadChar: a field has a character other than a letter, a digit, '-',
	// '_' or '.'.
	ErrBadChar Code = 12
	// ErrAreaFormat: an area is not digits with an optional '.'.
	ErrAreaFormat Code = 13
	// ErrAreaPrecision: an area has more than two decimals.
	ErrAreaPrecision Code = 14
	// ErrAreaNotPositive: an area is zero or negative.
	ErrAreaNotPositive Code = 15
	// ErrAreaTooLarge: an area is larger than MaxArea.
	ErrAreaTooLarge Code = 16
	// ErrDuplicateUnit: a unit number appears on more than one row.
	ErrDuplicateUnit Code = 17
	// ErrNotNormal: Write was given a field with surrounding spaces or
	// full-width characters, which Parse would not read back unchanged.
	ErrNotNormal Code = 18
	// ErrOwnerNotLabel: an owner is not an opaque ASCII label (a name,
	// perhaps), which must not go on the public ledger.
	ErrOwnerNotLabel Code = 19
	// ErrExampleRow: a row is one of the template's examples (its unit
	// number starts with ExamplePrefix), left in by mistake.
	ErrExampleRow Code = 20
	// ErrNotSpreadsheet: an .xlsx file cannot be opened as a workbook.
	ErrNotSpreadsheet Code = 21
)

// codeText describes each code in English, for logs.
var codeText = map[Code]string{
	ErrEmptyFile:       "empty file",
	ErrOwnerNotLabel:   "owner is not an ASCII label",
	ErrNoRows:          "no rows",
	ErrNoHeader:        "no header",
	ErrUnknownColumn:   "unknown column",
	ErrDuplicateColumn: "duplicate column",
	ErrMissingColumn:   "missing column",
	ErrSyntax:          "bad CSV quoting",
	ErrFieldCount:      "wrong number of fields",
	ErrEncoding:        "not UTF-8",
	ErrEmptyValue:      "empty value",
	ErrTooLong:         "value too long",
	ErrBadChar:         "invalid character",
	ErrAreaFormat:      "area is not a decimal number",
	ErrAreaPrecision:   "area has more than two decimals",
	ErrAreaNotPositive: "area is not greater than zero",
	ErrAreaTooLarge:    "area is larger than 10000 m²",
	ErrDuplicateUnit:   "duplicate unit",
	ErrNotNormal:       "value has surrounding spaces or full-width characters",
	ErrExampleRow:      "a template example row",
	ErrNotSpreadsheet:  "not an xlsx workbook",
}

// Error returns a short English description of the code, for logs.
func (c Code) Error() string {
	if s, ok := codeText[c]; ok {
		return "roster: " + s
	}
	return "roster: code " + strconv.Itoa(int(c))
}
