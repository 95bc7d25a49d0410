package roster

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const hdr = "unit,building,area_m2,owner\n"

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Row
	}{
		{
			name: "PlainFile",
			in:   hdr + "3-502,3,89.5,O-0001\n3-501,3,120,O-0002\n",
			want: []Row{
				{Line: 2, Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"},
				{Line: 3, Unit: "3-501", Building: "3", Area: 12000, Owner: "O-0002"},
			},
		},
		{
			name: "ByteOrderMark",
			in:   "\ufeff" + hdr + "3-502,3,89.5,O-0001\n",
			want: []Row{{Line: 2, Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"}},
		},
		{
			name: "CRLF",
			in:   "\ufeffunit,building,area_m2,owner\r\n3-502,3,89.5,O-0001\r\n3-501,3,75.25,O-0002\r\n",
			want: []Row{
				{Line: 2, Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"},
				{Line: 3, Unit: "3-501", Building: "3", Area: 7525, Owner: "O-0002"},
			},
		},
		{
			name: "NoFinalNewline",
			in:   hdr + "3-502,3,89.5,O-0001",
			want: []Row{{Line: 2, Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"}},
		},
		{
			name: "ReorderedHeaderAnyCaseTrimmed",
			in:   " Owner ,AREA_M2,Unit,building\nO-0001,89.5,3-502,3\n",
			want: []Row{{Line: 2, Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"}},
		},
		{
			name: "EmptyTrailingColumns",
			in:   "unit,building,area_m2,owner,,\n3-502,3,89.5,O-0001,,\n3-501,3,89.5,O-0002\n",
			want: []Row{
				{Line: 2, Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"},
				{Line: 3, Unit: "3-501", Building: "3", Area: 8950, Owner: "O-0002"},
			},
		},
		{
			name: "EmptyLinesSkippedLinesStayPhysical",
			in:   "\n" + hdr + "\n3-502,3,89.5,O-0001\n,,,\n   \n3-501,3,89.5,O-0002\n\n",
			want: []Row{
				{Line: 4, Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"},
				{Line: 7, Unit: "3-501", Building: "3", Area: 8950, Owner: "O-0002"},
			},
		},
		{
			name: "TrimsSpacesAndFullWidthSpace",
			in:   hdr + " 3-502\t,\u30003\u3000, 89.5 ,\u00a0O-0001\n",
			want: []Row{{Line: 2, Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"}},
		},
		{
			name: "FullWidthCharactersReadAsASCII",
			in:   hdr + "３－５０２,３,８９．５,Ｏ－０００１\n",
			want: []Row{{Line: 2, Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"}},
		},
		{
			name: "QuotedFields",
			in:   hdr + `"3-502","3","89.5","O-0001"` + "\n",
			want: []Row{{Line: 2, Unit: "3-502", Building: "3", Area: 8950, Owner: "O-0001"}},
		},
		{
			name: "ChineseUnitsAndSharedDeveloperLabel",
			in:   hdr + "3栋-502,3栋,89.5,developer\n3栋-601,3栋,0.01,developer\n商铺_1.A,商业,10000,DEV-1\n",
			want: []Row{
				{Line: 2, Unit: "3栋-502", Building: "3栋", Area: 8950, Owner: "developer"},
				{Line: 3, Unit: "3栋-601", Building: "3栋", Area: 1, Owner: "developer"},
				{Line: 4, Unit: "商铺_1.A", Building: "商业", Area: 1000000, Owner: "DEV-1"},
			},
		},
		{
			name: "LongestValues",
			in:   hdr + strings.Repeat("u", 32) + "," + strings.Repeat("b", 32) + ",1," + strings.Repeat("o", 64) + "\n",
			want: []Row{{Line: 2, Unit: strings.Repeat("u", 32), Building: strings.Repeat("b", 32), Area: 100, Owner: strings.Repeat("o", 64)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// p is a Problem without its Reason, which tests do not compare.
type p struct {
	Line   int
	Column string
	Code   Code
}

func TestParseProblems(t *testing.T) {
	row := func(unit, building, area, owner string) string {
		return unit + "," + building + "," + area + "," + owner + "\n"
	}
	ok := row("1-101", "1", "80", "O-1")
	tests := []struct {
		name string
		in   string
		want []p
	}{
		{"ErrEmptyFile", "", []p{{0, "", ErrEmptyFile}}},
		{"ErrEmptyFileOnlyBOMAndBlankLines", "\ufeff\r\n \r\n,,\r\n", []p{{0, "", ErrEmptyFile}}},
		{"ErrNoRows", hdr, []p{{0, "", ErrNoRows}}},
		{"ErrNoRowsBlankLinesAfterHeader", hdr + "\n,,,\n", []p{{0, "", ErrNoRows}}},
		{"ErrNoHeader", ok + ok, []p{{1, "", ErrNoHeader}}},
		{"ErrNoHeaderSemicolons", "unit;building;area_m2;owner\n", []p{{1, "", ErrNoHeader}}},
		{"ErrNoHeaderChineseCommas", "unit，building，area_m2，owner\n", []p{{1, "", ErrNoHeader}}},
		{"ErrUnknownColumn", "unit,building,area_m2,owner,note\n" + ok, []p{{1, "note", ErrUnknownColumn}}},
		{"ErrUnknownColumnUnnamed", "unit,,building,area_m2,owner\n" + ok, []p{{1, "", ErrUnknownColumn}}},
		{"ErrDuplicateColumn", "unit,building,area_m2,owner,Unit\n" + ok, []p{{1, "unit", ErrDuplicateColumn}}},
		{"ErrMissingColumn", "unit,building,area_m2\n1-101,1,80\n", []p{{1, "owner", ErrMissingColumn}}},
		{"ErrMissingColumnAllReported", "unit,area\n", []p{{1, "area", ErrUnknownColumn}, {1, "building", ErrMissingColumn}, {1, "area_m2", ErrMissingColumn}, {1, "owner", ErrMissingColumn}}},
		{"ErrSyntaxBareQuote", hdr + ok + "1-102,1,8\"0,O-1\n" + "1-103,1,0,O-1\n", []p{{3, "", ErrSyntax}, {4, "area_m2", ErrAreaNotPositive}}},
		{"ErrSyntaxUnterminatedQuote", hdr + ok + "\"1-102,1,80,O-1\n" + ok, []p{{3, "", ErrSyntax}}},
		{"ErrSyntaxInHeader", "\"unit,building,area_m2,owner\n" + ok, []p{{1, "", ErrSyntax}}},
		{"ErrFieldCountTooFew", hdr + "1-101,1,80\n", []p{{2, "", ErrFieldCount}}},
		{"ErrFieldCountTooMany", hdr + "1-101,1,80,O-1,x\n", []p{{2, "", ErrFieldCount}}},
		{"ErrFieldCountThousandsSeparatorUnquoted", hdr + "1-101,1,1,200.5,O-1\n", []p{{2, "", ErrFieldCount}}},
		{"ErrEncodingGBK", hdr + ok + "1-102,3\xb6\xb0,80,O-1\n", []p{{3, "", ErrEncoding}}},
		{"ErrEncodingUTF16", "\xff\xfeu\x00n\x00i\x00t\x00", []p{{1, "", ErrEncoding}}},
		{"ErrEmptyValueUnit", hdr + row("", "1", "80", "O-1"), []p{{2, "unit", ErrEmptyValue}}},
		{"ErrEmptyValueBuilding", hdr + row("1-101", " ", "80", "O-1"), []p{{2, "building", ErrEmptyValue}}},
		{"ErrEmptyValueArea", hdr + row("1-101", "1", "", "O-1"), []p{{2, "area_m2", ErrEmptyValue}}},
		{"ErrEmptyValueOwner", hdr + row("1-101", "1", "80", "\u3000"), []p{{2, "owner", ErrEmptyValue}}},
		{"ErrTooLongUnit", hdr + row(strings.Repeat("1", 33), "1", "80", "O-1"), []p{{2, "unit", ErrTooLong}}},
		{"ErrTooLongBuildingInChinese", hdr + row("1-101", strings.Repeat("栋", 11), "80", "O-1"), []p{{2, "building", ErrTooLong}}},
		{"ErrTooLongOwner", hdr + row("1-101", "1", "80", strings.Repeat("o", 65)), []p{{2, "owner", ErrTooLong}}},
		{"ErrBadCharSlash", hdr + row("3/502", "3", "80", "O-1"), []p{{2, "unit", ErrBadChar}}},
		{"ErrBadCharFullWidthSlash", hdr + row("3／502", "3", "80", "O-1"), []p{{2, "unit", ErrBadChar}}},
		{"ErrBadCharInnerSpace", hdr + row("3 502", "3", "80", "O-1"), []p{{2, "unit", ErrBadChar}}},
		{"ErrOwnerIsAName", hdr + row("3-502", "3", "80", "张三"), []p{{2, "owner", ErrOwnerNotLabel}}},
		{"ErrBadCharInnerFullWidthSpace", hdr + row("1-101", "1", "80", "王\u3000五"), []p{{2, "owner", ErrBadChar}}},
		{"ErrBadCharInvisible", hdr + row("1-101\u200b", "1", "80", "O-1"), []p{{2, "unit", ErrBadChar}}},
		{"ErrBadCharPunctuation", hdr + row("1-101", "1号楼（东）", "80", "O-1"), []p{{2, "building", ErrBadChar}}},
		{"ErrAreaFormatExponent", hdr + row("1-101", "1", "8e1", "O-1"), []p{{2, "area_m2", ErrAreaFormat}}},
		{"ErrAreaFormatThousandsSeparator", hdr + row("1-101", "1", `"1,200.5"`, "O-1"), []p{{2, "area_m2", ErrAreaFormat}}},
		{"ErrAreaFormatUnitSuffix", hdr + row("1-101", "1", "89.5㎡", "O-1"), []p{{2, "area_m2", ErrAreaFormat}}},
		{"ErrAreaFormatPlusSign", hdr + row("1-101", "1", "+80", "O-1"), []p{{2, "area_m2", ErrAreaFormat}}},
		{"ErrAreaFormatNoWholePart", hdr + row("1-101", "1", ".5", "O-1"), []p{{2, "area_m2", ErrAreaFormat}}},
		{"ErrAreaFormatTrailingDot", hdr + row("1-101", "1", "80.", "O-1"), []p{{2, "area_m2", ErrAreaFormat}}},
		{"ErrAreaFormatWords", hdr + row("1-101", "1", "八十", "O-1"), []p{{2, "area_m2", ErrAreaFormat}}},
		{"ErrAreaPrecision", hdr + row("1-101", "1", "89.505", "O-1"), []p{{2, "area_m2", ErrAreaPrecision}}},
		{"ErrAreaNotPositiveZero", hdr + row("1-101", "1", "0.00", "O-1"), []p{{2, "area_m2", ErrAreaNotPositive}}},
		{"ErrAreaNotPositiveNegative", hdr + row("1-101", "1", "-89.5", "O-1"), []p{{2, "area_m2", ErrAreaNotPositive}}},
		{"ErrAreaTooLarge", hdr + row("1-101", "1", "10000.01", "O-1"), []p{{2, "area_m2", ErrAreaTooLarge}}},
		{"ErrDuplicateUnit", hdr + ok + row("1-102", "1", "80", "O-2") + ok, []p{{4, "unit", ErrDuplicateUnit}}},
		{"ErrDuplicateUnitIgnoresCase", hdr + row("A-101", "A", "80", "O-1") + row("a-101", "A", "80", "O-2"), []p{{3, "unit", ErrDuplicateUnit}}},
		{"ErrDuplicateUnitAfterFolding", hdr + row("1-101", "1", "80", "O-1") + row("１-１０１", "1", "80", "O-2"), []p{{3, "unit", ErrDuplicateUnit}}},
		{"ErrDuplicateUnitEachRepeat", hdr + ok + ok + ok, []p{{3, "unit", ErrDuplicateUnit}, {4, "unit", ErrDuplicateUnit}}},
		{
			name: "AllProblemsListedInLineAndColumnOrder",
			in: "owner,unit,building,area_m2\r\n" +
				"O-1,1-101,1,80\r\n" +
				",1-102,1,0\r\n" +
				"\r\n" +
				"O-3,1/103,1,80.123\r\n" +
				"O-4,1-101,1 栋,80\r\n" +
				"O-5,1-105\r\n",
			want: []p{
				{3, "owner", ErrEmptyValue}, {3, "area_m2", ErrAreaNotPositive},
				{5, "unit", ErrBadChar}, {5, "area_m2", ErrAreaPrecision},
				{6, "unit", ErrDuplicateUnit}, {6, "building", ErrBadChar},
				{7, "", ErrFieldCount},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Parse(strings.NewReader(tt.in))
			if rows != nil {
				t.Errorf("got rows %+v, want none", rows)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got error %v, want a *ParseError", err)
			}
			var got []p
			for _, pr := range pe.Problems {
				got = append(got, p{pr.Line, pr.Column, pr.Code})
				if pr.Reason == "" {
					t.Errorf("problem %+v has no reason", pr)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v\n%v", got, tt.want, err)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w.Code) {
					t.Errorf("errors.Is(err, %v) = false, want true", w.Code)
				}
			}
		})
	}
}

func TestParseErrorNamesBothDuplicateLines(t *testing.T) {
	in := hdr + "3-502,3,89.5,O-1\n3-501,3,89.5,O-2\n3-502,3,89.5,O-3\n"
	_, err := Parse(strings.NewReader(in))
	var pe *ParseError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 {
		t.Fatalf("got %v, want one problem", err)
	}
	got := pe.Problems[0]
	if got.Line != 4 || !strings.Contains(got.Reason, "3-502") || !strings.Contains(got.Reason, "第 2 行") {
		t.Errorf("got %+v, want line 4 naming unit 3-502 and line 2", got)
	}
}

func TestParseErrorListsEveryProblem(t *testing.T) {
	in := hdr + "1-101,1,0,O-1\n1-102,1,-1,O-2\n"
	_, err := Parse(strings.NewReader(in))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *ParseError", err)
	}
	msg := err.Error()
	for _, pr := range pe.Problems {
		if !strings.Contains(msg, pr.String()) {
			t.Errorf("error %q does not list %q", msg, pr.String())
		}
	}
	if got, want := strings.Count(msg, "\n"), len(pe.Problems); got != want {
		t.Errorf("error has %d problem lines, want %d:\n%s", got, want, msg)
	}
	if errors.Is(err, ErrDuplicateUnit) {
		t.Errorf("errors.Is(err, ErrDuplicateUnit) = true for a file without duplicates")
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"WholeFile", Problem{Reason: "只有表头，没有房屋数据"}, "只有表头，没有房屋数据"},
		{"WholeLine", Problem{Line: 3, Reason: "这一行有 3 列，应为 4 列"}, "第 3 行：这一行有 3 列，应为 4 列"},
		{"OneField", Problem{Line: 7, Column: "area_m2", Reason: "面积必须大于 0"}, "第 7 行 area_m2 列：面积必须大于 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseReadErrorIsNotAParseError(t *testing.T) {
	_, err := Parse(errReader{})
	var pe *ParseError
	if err == nil || errors.As(err, &pe) {
		t.Errorf("got %v, want a read error", err)
	}
}

func TestCodesAreDistinctAndDescribed(t *testing.T) {
	seen := map[string]Code{}
	for c := ErrEmptyFile; c <= ErrNotNormal; c++ {
		s := c.Error()
		if strings.Contains(s, "code") {
			t.Errorf("code %d has no description", int(c))
		}
		if other, dup := seen[s]; dup {
			t.Errorf("codes %d and %d share the description %q", int(other), int(c), s)
		}
		seen[s] = c
	}
	if got := fmt.Sprint(Code(999)); got != "roster: code 999" {
		t.Errorf("unknown code prints as %q", got)
	}
}
