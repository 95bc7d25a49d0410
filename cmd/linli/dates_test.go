package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseChinaTime(t *testing.T) {
	// now is 2026-12-01 21:00 in China.
	now := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)
	cst := func(y int, m time.Month, d, h, min int) int64 {
		return time.Date(y, m, d, h, min, 0, 0, cstZone).Unix()
	}
	tests := []struct {
		name, in string
		want     int64
	}{
		{"IsoWithMinutes", "2026-12-20 20:00", cst(2026, 12, 20, 20, 0)},
		{"IsEightHoursAheadOfUTC", "2027-01-01 00:00", time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC).Unix()},
		{"YearEndLastMinute", "2026-12-31 23:59", cst(2027, 1, 1, 0, 0) - 60},
		{"MonthEnd", "2026-04-30 23:59:59", cst(2026, 5, 1, 0, 0) - 1},
		{"LeapDay", "2028-02-29 08:00", cst(2028, 2, 29, 8, 0)},
		{"DateAloneIsMidnight", "2026-12-20", cst(2026, 12, 20, 0, 0)},
		{"Slashes", "2026/12/20 20:00", cst(2026, 12, 20, 20, 0)},
		{"TSeparator", "2026-12-20T20:00", cst(2026, 12, 20, 20, 0)},
		{"Chinese", "2026年12月20日20:00", cst(2026, 12, 20, 20, 0)},
		{"ChineseWithoutYearLaterThisYear", "12月20日20:00", cst(2026, 12, 20, 20, 0)},
		{"ChineseWithoutYearTodayIsThisYear", "12月1日 23:00", cst(2026, 12, 1, 23, 0)},
		{"ChineseWithoutYearPassedIsNextYear", "1月5日 9:30", cst(2027, 1, 5, 9, 30)},
		{"ChineseHourOnly", "12月20日20点", cst(2026, 12, 20, 20, 0)},
		{"FullWidthColon", "12月20日 20：30", cst(2026, 12, 20, 20, 30)},
		{"RFC3339KeepsItsOffset", "2026-12-20T12:00:00Z", time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC).Unix()},
		// China has kept no daylight saving since 1991: a summer and a
		// winter date are both UTC+8.
		{"SummerIsUTCPlus8", "2026-07-01 08:00", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).Unix()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseChinaTime(tt.in, now)
			if err != nil || got != tt.want {
				t.Errorf("parseChinaTime(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"2026-02-29 10:00", "2026-02-30", "2026-13-01", "2026-12-20 24:00", "2026-12-20 20:60", "4月31日", "明天", "20:00", ""} {
		t.Run("Err"+bad, func(t *testing.T) {
			if got, err := parseChinaTime(bad, now); err == nil {
				t.Errorf("parseChinaTime(%q) = %d, want an error", bad, got)
			}
		})
	}
}

func TestResolveDatesRewritesOnlyTimeFields(t *testing.T) {
	now := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)
	got, err := resolveDates([]byte(`{"title":"2026-12-20 20:00","notice_at":"2026-12-02","vote_start":1797300000,"vote_end":"12月20日20:00","windows":[{"start":"2026-12-05 08:00","end":1800000000}]}`), now)
	if err != nil {
		t.Fatal(err)
	}
	// 2026-12-02 00:00, 12-20 20:00 and 12-05 08:00 in China.
	want := `{"notice_at":1796140800,"title":"2026-12-20 20:00","vote_end":1797768000,"vote_start":1797300000,"windows":[{"end":1800000000,"start":1796428800}]}`
	if string(got) != want {
		t.Errorf("resolveDates =\n%s\nwant\n%s", got, want)
	}
	if _, err := resolveDates([]byte(`{"vote_end":"下周五"}`), now); err == nil || !strings.Contains(err.Error(), "vote_end") {
		t.Errorf("a bad date: err %v, want one naming vote_end", err)
	}
	plain := []byte(`{"proposal":1,"choices":[0]}`)
	if got, _ := resolveDates(plain, now); string(got) != string(plain) {
		t.Errorf("a body without dates changed: %s", got)
	}
}
