package board

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
)

// csvExport writes a table as CSV in UTF-8 with a BOM, so that Excel opens
// it with the right characters, as `linli accounts export` does.
func csvExport(name string, header []string, n int, row func(i int) []string) (*response, error) {
	recs := make([][]byte, n)
	for i := range n {
		recs[i] = csvRecord(row(i))
	}
	return csvRows(name, header, recs), nil
}

// csvRows is csvExport of records that csvRecord wrote.
func csvRows(name string, header []string, recs [][]byte) *response {
	size := 16
	for _, r := range recs {
		size += len(r)
	}
	var buf bytes.Buffer
	buf.Grow(size)
	buf.WriteString("\ufeff")
	buf.Write(csvRecord(header))
	for _, r := range recs {
		buf.Write(r)
	}
	return &response{status: http.StatusOK, ctype: "text/csv; charset=utf-8", body: buf.Bytes(), filename: name + ".csv"}
}

// csvRecord is one record as encoding/csv writes it, with its line end: a
// table's records written one by one are the table.
func csvRecord(rec []string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(rec) // a bytes.Buffer does not fail
	w.Flush()
	return buf.Bytes()
}

// jsonExport writes a table as a JSON array.
func jsonExport(name string, v any) (*response, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("board: json %s: %w", name, err)
	}
	return &response{status: http.StatusOK, ctype: "application/json; charset=utf-8", body: append(b, '\n')}, nil
}

// jsonArray is jsonExport of an array whose elements are given, each as
// json.MarshalIndent(elem, "  ", "  ") writes it.
func jsonArray(elems [][]byte) *response {
	size := 4
	for _, e := range elems {
		size += len(e) + 4
	}
	b := make([]byte, 0, size)
	b = append(b, '[')
	for i, e := range elems {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n  "...)
		b = append(b, e...)
	}
	if len(elems) > 0 {
		b = append(b, '\n')
	}
	b = append(b, "]\n"...)
	return &response{status: http.StatusOK, ctype: "application/json; charset=utf-8", body: b}
}
