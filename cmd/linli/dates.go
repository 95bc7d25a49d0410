package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// timeFields are the body fields that hold a unix time. `linli tx` accepts
// a date in China time for any of them, wherever it appears in the body.
var timeFields = map[string]bool{
	"notice_at": true, "vote_start": true, "vote_end": true, "expires_at": true,
	"start": true, "end": true, "until": true,
}

// dateForms are the ways a committee member writes a time: 2026-12-20
// 20:00, 2026/12/20 20:00, 2026年12月20日20:00, or 12月20日 20:00 (the next
// 20 December). Seconds are optional; a date alone means midnight.
var dateForms = []*regexp.Regexp{
	regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$`),
	regexp.MustCompile(`^(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]\s*(?:(\d{1,2})\s*[:：点]\s*(\d{2})?(?:\s*[:：]\s*(\d{2}))?\s*分?)?$`),
}

// parseChinaTime reads a date and time in China time (UTC+8; China keeps no
// daylight saving, so every local time exists exactly once) as unix
// seconds. A form without a year means the next such date on or after
// now's date.
func parseChinaTime(s string, now time.Time) (int64, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Unix(), nil
	}
	for _, re := range dateForms {
		m := re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		n := make([]int, len(m))
		for i, v := range m[1:] {
			n[i+1], _ = strconv.Atoi(v)
		}
		year, month, day, hour, minute, second := n[1], n[2], n[3], n[4], n[5], n[6]
		today := now.In(cstZone)
		if m[1] == "" {
			year = today.Year()
			if month < int(today.Month()) || month == int(today.Month()) && day < today.Day() {
				year++
			}
		}
		t := time.Date(year, time.Month(month), day, hour, minute, second, 0, cstZone)
		// time.Date normalises 2月30日 into March: refuse what is not a
		// real date or time instead.
		if t.Year() != year || int(t.Month()) != month || t.Day() != day || t.Hour() != hour || t.Minute() != minute || t.Second() != second {
			return 0, fmt.Errorf("%q is not a real date and time", s)
		}
		return t.Unix(), nil
	}
	return 0, fmt.Errorf("%q is not a date: write 2026-12-20 20:00 or 12月20日20:00 (China time), or unix seconds", s)
}

// resolveDates rewrites the time fields of a tx body given as dates into
// unix seconds, leaving everything else as it was.
func resolveDates(body []byte, now time.Time) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		// Let the body decoder report malformed JSON in its own words.
		return body, nil
	}
	changed := false
	var walk func(any) error
	walk = func(x any) error {
		switch x := x.(type) {
		case map[string]any:
			for k, f := range x {
				if s, ok := f.(string); ok && timeFields[k] {
					t, err := parseChinaTime(s, now)
					if err != nil {
						return fmt.Errorf("%s: %w", k, err)
					}
					x[k], changed = json.Number(strconv.FormatInt(t, 10)), true
					continue
				}
				if err := walk(f); err != nil {
					return err
				}
			}
		case []any:
			for _, f := range x {
				if err := walk(f); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(v); err != nil {
		return nil, err
	}
	if !changed {
		return body, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}
