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
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.Write(header)
	for i := range n {
		w.Write(row(i))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("board: csv %s: %w", name, err)
	}
	return &response{status: http.StatusOK, ctype: "text/csv; charset=utf-8", body: buf.Bytes(), filename: name + ".csv"}, nil
}

// jsonExport writes a table as a JSON array.
func jsonExport(name string, v any) (*response, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("board: json %s: %w", name, err)
	}
	return &response{status: http.StatusOK, ctype: "application/json; charset=utf-8", body: append(b, '\n')}, nil
}
