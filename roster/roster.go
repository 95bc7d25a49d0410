package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Row is one unit of the roster.
type Row struct {
	// Line is the physical line of the row in the file it was parsed from,
	// counting from 1. Write ignores it.
	Line int
	// Unit is the unit number, such as "3-502". It is unique in a roster,
	// ignoring letter case.
	Unit string
	// Building is the building the unit is in, such as "3".
	Building string
	// Area is the unit's exclusive area in 0.01 m².
	Area int64
	// Owner is an opaque owner label, such as "O-0001". Units of one owner
	// share a label; the developer's unsold units share one label too.
	Owner string
}

// Column names, in the order Write writes them.
const (
	ColUnit     = "unit"
	ColBuilding = "building"
	ColArea     = "area_m2"
	ColOwner    = "owner"
)

// Field length limits in bytes (a Chinese character takes 3).
const (
	MaxUnitLen     = 32
	MaxBuildingLen = 32
	MaxOwnerLen    = 64
)

// columns lists the column names in the order Write writes them.
var columns = []string{ColUnit, ColBuilding, ColArea, ColOwner}

// label names each column the way a committee member calls it.
var label = map[string]string{
	ColUnit:     "房号",
	ColBuilding: "楼栋",
	ColArea:     "面积",
	ColOwner:    "业主",
}

// aliases are the other header names a column goes by, in Chinese as a
// committee writes them (WriteXLSX writes the first of each).
var aliases = map[string]string{
	"房号": ColUnit, "房屋": ColUnit, "房间号": ColUnit,
	"楼栋": ColBuilding, "楼号": ColBuilding, "栋": ColBuilding,
	"面积（m²）": ColArea, "面积": ColArea, "面积(m²)": ColArea, "面积（㎡）": ColArea, "面积(㎡)": ColArea,
	"面积（平方米）": ColArea, "面积(平方米)": ColArea, "专有面积": ColArea,
	"业主": ColOwner, "业主编号": ColOwner,
}

// columnOf returns the column a header cell names, or "".
func columnOf(name string) string {
	name = strings.ToLower(name)
	if label[name] != "" {
		return name
	}
	return aliases[name]
}

// bom is the UTF-8 byte order mark.
var bom = []byte("\ufeff")

// Problem is one thing wrong with a roster file.
type Problem struct {
	// Line is the physical line of the file, counting from 1; 0 means the
	// file as a whole.
	Line int
	// Column is the column's header name, or "" when the problem concerns
	// the whole line or file.
	Column string
	// Reason says what is wrong in short, plain zh-CN.
	Reason string
	// Code says which rule is broken, for programs and tests.
	Code Code
}

// String formats the problem for a person: "第 7 行 area_m2 列：面积必须大于 0".
func (p Problem) String() string {
	switch {
	case p.Line == 0:
		return p.Reason
	case p.Column == "":
		return fmt.Sprintf("第 %d 行：%s", p.Line, p.Reason)
	default:
		return fmt.Sprintf("第 %d 行 %s 列：%s", p.Line, p.Column, p.Reason)
	}
}

// ParseError is returned by Parse when a roster file has problems. It lists
// all of them, in line order.
type ParseError struct {
	Problems []Problem
}

// Error lists the problems, one per line, in zh-CN.
func (e *ParseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "名册有 %d 处问题：", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// Is reports whether any problem has the code target, so that
// errors.Is(err, ErrDuplicateUnit) works on a ParseError.
func (e *ParseError) Is(target error) bool {
	c, ok := target.(Code)
	if !ok {
		return false
	}
	for _, p := range e.Problems {
		if p.Code == c {
			return true
		}
	}
	return false
}

// Parse reads a whole roster file and returns its rows in file order. The
// file is UTF-8, with or without a byte order mark, with LF or CRLF line
// endings. Its first non-empty line is the header, naming the columns unit,
// building, area_m2 and owner in any order (letter case and surrounding
// spaces are ignored); empty columns may follow them. Empty lines are
// skipped. Every field is trimmed of surrounding white space (including the
// full-width space) and full-width ASCII characters are read as their ASCII
// forms, so "３－５０２" is unit "3-502".
//
// If anything is wrong, Parse returns no rows and a *ParseError listing
// every problem it found. Other errors come from reading r.
func Parse(r io.Reader) ([]Row, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("roster: read: %w", err)
	}
	data = bytes.TrimPrefix(data, bom)

	var p parser
	if !utf8.Valid(data) {
		p.encodingProblem(data)
		return nil, p.err()
	}

	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	for !p.stop {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("roster: %w", err)
			}
			p.add(pe.StartLine, "", ErrSyntax, "双引号不成对或位置不对：整格内容要用一对双引号括起来")
			if p.cols == nil {
				// The broken line may well be the header: nothing
				// after it can be read reliably.
				return nil, p.err()
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		p.feed(line, rec)
	}
	return p.finish()
}

// feed reads one record: the header, or a row after it. It sets p.stop
// when nothing after it can be read.
func (p *parser) feed(line int, rec []string) {
	if isBlank(rec) {
		return
	}
	if p.cols == nil {
		if p.skipTitles && !p.namesAColumn(rec) {
			// A spreadsheet's title or note above the header.
			return
		}
		p.stop = !p.header(line, rec)
		return
	}
	p.row(line, rec)
}

// namesAColumn reports whether any cell of rec is a column name.
func (p *parser) namesAColumn(rec []string) bool {
	for _, f := range rec {
		if columnOf(clean(f)) != "" {
			return true
		}
	}
	return false
}

// finish returns the rows, or every problem found.
func (p *parser) finish() ([]Row, error) {
	switch {
	case len(p.problems) > 0:
		return nil, p.err()
	case p.cols == nil:
		p.add(0, "", ErrEmptyFile, "文件是空的：第一行应为表头 unit,building,area_m2,owner，下面每行一户")
		return nil, p.err()
	case len(p.rows) == 0:
		p.add(0, "", ErrNoRows, "只有表头，没有房屋数据")
		return nil, p.err()
	}
	return p.rows, nil
}

// parser holds the state of one Parse call.
type parser struct {
	// skipTitles ignores rows before the header that name no column (a
	// spreadsheet's title row, merged across the columns).
	skipTitles bool
	stop       bool           // the header was unusable: stop reading
	cols       []string       // column name of each header cell; nil until the header is read
	seen       map[string]int // unit key -> line of its first row
	rows       []Row
	problems   []Problem
}

// add records a problem.
func (p *parser) add(line int, col string, code Code, reason string) {
	p.problems = append(p.problems, Problem{Line: line, Column: col, Reason: reason, Code: code})
}

// err returns the problems recorded so far as a *ParseError.
func (p *parser) err() error {
	return &ParseError{Problems: p.problems}
}

// encodingProblem reports the first line of data that is not valid UTF-8.
func (p *parser) encodingProblem(data []byte) {
	line := 1
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n <= 1 {
			break
		}
		if r == '\n' {
			line++
		}
		data = data[n:]
	}
	p.add(line, "", ErrEncoding, "从这一行起不是 UTF-8 编码：请在 Excel 里“另存为”，选“CSV UTF-8（逗号分隔）”")
}

// header reads the header line and reports whether it is usable.
func (p *parser) header(line int, rec []string) bool {
	width := len(rec)
	for width > 0 && clean(rec[width-1]) == "" {
		width--
	}
	names := make([]string, width)
	known := 0
	for i := range names {
		names[i] = strings.ToLower(clean(rec[i]))
		if c := columnOf(names[i]); c != "" {
			names[i] = c
			known++
		}
	}
	if known == 0 {
		reason := "缺少表头：第一行应为 unit,building,area_m2,owner"
		if len(names) == 1 && strings.ContainsAny(names[0], ",;\t") {
			reason = "表头各列要用英文逗号分隔：unit,building,area_m2,owner"
		}
		p.add(line, "", ErrNoHeader, reason)
		return false
	}

	found := make(map[string]bool)
	for i, name := range names {
		switch {
		case name == "":
			p.add(line, "", ErrUnknownColumn, fmt.Sprintf("表头第 %d 列没有列名", i+1))
		case label[name] == "":
			p.add(line, clean(rec[i]), ErrUnknownColumn,
				fmt.Sprintf("多余的列“%s”：只要 unit、building、area_m2、owner（房号、楼栋、面积、业主）四列", short(clean(rec[i]))))
		case found[name]:
			p.add(line, name, ErrDuplicateColumn, fmt.Sprintf("列“%s”出现了两次", name))
		default:
			found[name] = true
		}
	}
	for _, c := range columns {
		if !found[c] {
			p.add(line, c, ErrMissingColumn, fmt.Sprintf("缺少“%s”列（%s）", c, label[c]))
		}
	}
	if len(p.problems) > 0 {
		return false
	}
	p.cols = names
	p.seen = make(map[string]int)
	return true
}

// row checks one data line and keeps it if it is valid.
func (p *parser) row(line int, rec []string) {
	n := len(rec)
	for n > len(p.cols) && clean(rec[n-1]) == "" {
		n--
	}
	if n != len(p.cols) {
		p.add(line, "", ErrFieldCount, fmt.Sprintf("这一行有 %d 列，应为 %d 列", n, len(p.cols)))
		return
	}

	if p.exampleUnit(rec) {
		p.add(line, "", ErrExampleRow, "这是模板里的示例行，请删掉后再导入")
		return
	}
	r := Row{Line: line}
	ok := true
	for i, col := range p.cols {
		v := clean(rec[i])
		var code Code
		var reason string
		switch col {
		case ColUnit:
			r.Unit = v
			code, reason = checkName(col, v, MaxUnitLen)
			if code == 0 {
				code, reason = p.checkDuplicate(line, v)
			}
		case ColBuilding:
			r.Building = v
			code, reason = checkName(col, v, MaxBuildingLen)
		case ColOwner:
			r.Owner = v
			code, reason = checkName(col, v, MaxOwnerLen)
			if code == 0 {
				code, reason = checkOwnerLabel(v)
			}
		case ColArea:
			r.Area, code, reason = checkArea(v)
		}
		if code != 0 {
			p.add(line, col, code, reason)
			ok = false
		}
	}
	if ok {
		p.rows = append(p.rows, r)
	}
}

// exampleUnit reports whether rec's unit cell is a template example.
func (p *parser) exampleUnit(rec []string) bool {
	for i, col := range p.cols {
		if col == ColUnit && i < len(rec) {
			return strings.HasPrefix(clean(rec[i]), ExamplePrefix)
		}
	}
	return false
}

// checkDuplicate records a valid unit number and reports whether an earlier
// row has it already.
func (p *parser) checkDuplicate(line int, unit string) (Code, string) {
	k := unitKey(unit)
	if first, dup := p.seen[k]; dup {
		return ErrDuplicateUnit, fmt.Sprintf("房号 %s 与第 %d 行重复", unit, first)
	}
	p.seen[k] = line
	return 0, ""
}

// unitKey is the key under which unit numbers must be unique: letter case
// does not tell two units apart.
func unitKey(unit string) string { return strings.ToLower(unit) }

// checkName checks a unit, building or owner value, already cleaned.
func checkName(col, v string, max int) (Code, string) {
	what := label[col]
	if v == "" {
		return ErrEmptyValue, what + "不能为空"
	}
	for _, r := range v {
		if isNameRune(r) {
			continue
		}
		switch {
		case unicode.IsSpace(r):
			return ErrBadChar, what + "中间不能有空格"
		case unicode.IsGraphic(r):
			return ErrBadChar, fmt.Sprintf("%s中不能有“%c”（只能用汉字、字母、数字和 - _ .）", what, r)
		default:
			return ErrBadChar, fmt.Sprintf("%s中有看不见的字符 U+%04X，请删掉", what, r)
		}
	}
	if len(v) > max {
		return ErrTooLong, fmt.Sprintf("%s太长：最多 %d 个字母或数字（一个汉字算 3 个）", what, max)
	}
	return 0, ""
}

// checkOwnerLabel keeps owner labels to ASCII letters, digits and - _ .,
// so the committee writes an opaque code such as O-0001 rather than a name:
// the roster goes on the public ledger, and names must never be published.
func checkOwnerLabel(v string) (Code, string) {
	for _, r := range v {
		if r > unicode.MaxASCII {
			return ErrOwnerNotLabel, fmt.Sprintf("业主一栏请填编号（如 O-0001），不要填姓名：只能用英文字母、数字和 - _ .，不能有“%c”", r)
		}
	}
	return 0, ""
}

// isNameRune reports whether r may appear in a unit, building or owner.
func isNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.'
}

// checkArea parses an area value, already cleaned.
func checkArea(v string) (int64, Code, string) {
	if v == "" {
		return 0, ErrEmptyValue, "面积不能为空"
	}
	a, err := ParseArea(v)
	if err == nil {
		return a, 0, ""
	}
	code := err.(Code)
	switch code {
	case ErrAreaPrecision:
		return 0, code, "面积最多两位小数"
	case ErrAreaNotPositive:
		return 0, code, "面积必须大于 0"
	case ErrAreaTooLarge:
		return 0, code, "面积不能超过 10000 平方米"
	}
	if strings.Contains(v, ",") {
		return 0, code, "面积中不能有逗号（不要用千位分隔符）"
	}
	return 0, code, fmt.Sprintf("面积“%s”不是数字：应写成 89.5 这样的平方米数，不带单位", short(v))
}

// clean trims surrounding white space, including U+3000, and maps
// full-width ASCII forms (U+FF01 to U+FF5E) to ASCII.
func clean(s string) string {
	s = strings.TrimSpace(s)
	return strings.Map(func(r rune) rune {
		if 0xFF01 <= r && r <= 0xFF5E {
			return r - 0xFEE0
		}
		return r
	}, s)
}

// isBlank reports whether every field of rec is empty once cleaned.
func isBlank(rec []string) bool {
	for _, f := range rec {
		if clean(f) != "" {
			return false
		}
	}
	return true
}

// short cuts s to at most 20 characters for quoting in a reason.
func short(s string) string {
	const max = 20
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}
