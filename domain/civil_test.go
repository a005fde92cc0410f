package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

func TestParseLocalDate(t *testing.T) {
	t.Parallel()

	d, err := domain.ParseLocalDate("2026-02-28")
	require.NoError(t, err)
	assert.Equal(t, 2026, d.Year())
	assert.Equal(t, time.February, d.Month())
	assert.Equal(t, 28, d.Day())
	assert.Equal(t, time.Saturday, d.Weekday())
	assert.Equal(t, "2026-02-28", d.String())
	assert.False(t, d.IsZero())
}

func TestParseLocalDateRejectsBadInput(t *testing.T) {
	t.Parallel()

	tests := []string{
		"",
		"2026-02-29", // not a leap year
		"2026-13-01",
		"2026-00-10",
		"2026-04-31",
		"2026-4-01",
		"26-04-01",
		"2026/04/01",
		"2026-04-01T00:00:00Z",
		" 2026-04-01",
		"2026-04-01 ",
		"0000-01-01", // there is no year 0; it would read as the zero date
		"tomorrow",
	}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			d, err := domain.ParseLocalDate(s)
			assertCode(t, err, domain.CodeInvalid)
			assert.True(t, d.IsZero())
		})
	}
}

func TestNewLocalDate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		year  int
		month time.Month
		day   int
		ok    bool
	}{
		{"an ordinary day", 2026, time.March, 29, true},
		{"a leap day", 2028, time.February, 29, true},
		{"no leap day in 2026", 2026, time.February, 29, false},
		{"no 31st of June", 2026, time.June, 31, false},
		{"no month 13", 2026, 13, 1, false},
		{"no day 0", 2026, time.March, 0, false},
		{"no year 0", 0, time.January, 1, false},
		{"no year 10000", 10000, time.January, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := domain.NewLocalDate(tt.year, tt.month, tt.day)
			if !tt.ok {
				assertCode(t, err, domain.CodeInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, [3]int{tt.year, int(tt.month), tt.day}, [3]int{d.Year(), int(d.Month()), d.Day()})
		})
	}
}

func TestLocalDateArithmetic(t *testing.T) {
	t.Parallel()

	tests := []struct {
		from string
		days int
		want string
	}{
		{"2026-03-28", 1, "2026-03-29"},
		{"2026-03-31", 1, "2026-04-01"},
		{"2026-12-31", 1, "2027-01-01"},
		{"2028-02-28", 1, "2028-02-29"},
		{"2026-03-01", -1, "2026-02-28"},
		{"2026-10-25", 0, "2026-10-25"},
		{"2026-01-01", 365, "2027-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			t.Parallel()
			got := domain.MustDate(tt.from).AddDays(tt.days)
			assert.Equal(t, domain.MustDate(tt.want), got)
		})
	}

	a, b := domain.MustDate("2026-03-29"), domain.MustDate("2026-03-30")
	assert.True(t, a.Before(b))
	assert.False(t, b.Before(a))
	assert.True(t, b.After(a))
	assert.False(t, a.Before(a))
	assert.False(t, a.After(a))
}

// TestLocalDateString checks String against time's own formatting over every year
// NewLocalDate allows, beyond them, and for the zero date.
func TestLocalDateString(t *testing.T) {
	t.Parallel()
	for at := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() <= 9999; at = at.AddDate(0, 0, 53) {
		d, err := domain.NewLocalDate(at.Year(), at.Month(), at.Day())
		require.NoError(t, err)
		require.Equal(t, at.Format(time.DateOnly), d.String())
	}
	assert.Equal(t, "9999-12-31", domain.MustDate("9999-12-31").String())
	assert.Equal(t, "10000-01-01", domain.MustDate("9999-12-31").AddDays(1).String())
	assert.Equal(t, "0000-00-00", domain.LocalDate{}.String())
}

func TestLocalDateText(t *testing.T) {
	t.Parallel()

	b, err := domain.MustDate("2026-10-25").MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "2026-10-25", string(b))

	var d domain.LocalDate
	require.NoError(t, d.UnmarshalText([]byte("2026-10-25")))
	assert.Equal(t, domain.MustDate("2026-10-25"), d)
	assertCode(t, d.UnmarshalText([]byte("2026-10-32")), domain.CodeInvalid)
	assert.Equal(t, domain.MustDate("2026-10-25"), d, "a failed decode leaves the date alone")
}

func TestDateOfAndClockOf(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires) // UTC-3 all year
	instant := time.Date(2026, 3, 11, 1, 30, 0, 0, time.UTC)

	assert.Equal(t, domain.MustDate("2026-03-10"), domain.DateOf(instant, ba), "01:30 UTC is still the evening before in Buenos Aires")
	assert.Equal(t, domain.MustClock("22:30"), domain.ClockOf(instant, ba))
	assert.Equal(t, domain.MustDate("2026-03-11"), domain.DateOf(instant, time.UTC))
}

func TestLocalDateAtOnAnOrdinaryDay(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	d := domain.MustDate("2026-03-10")

	got, ok := d.At(domain.MustClock("17:00"), ba)
	assert.True(t, ok)
	assert.Equal(t, time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC), got)
	assert.Equal(t, time.UTC, got.Location(), "instants are UTC")

	got, ok = d.At(domain.MustClock("24:00"), ba)
	assert.True(t, ok)
	assert.Equal(t, d.AddDays(1).StartOfDay(ba), got, "24:00 is the start of the next day")

	assert.Equal(t, time.Date(2026, 3, 10, 3, 0, 0, 0, time.UTC), d.StartOfDay(ba))
}

func TestParseClockTime(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   string
		want int // minutes since midnight
	}{
		{"00:00", 0},
		{"08:00", 8 * 60},
		{"17:30", 17*60 + 30},
		{"23:59", 23*60 + 59},
		{"24:00", 24 * 60},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			c, err := domain.ParseClockTime(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.Minutes())
			assert.Equal(t, tt.in, c.String())
		})
	}
}

func TestParseClockTimeRejectsBadInput(t *testing.T) {
	t.Parallel()

	tests := []string{
		"", "8:00", "08:0", "08-00", "0800", "08:00:00",
		"24:01", "25:00", "12:60", "99:99",
		"+1:00", "-0:00", " 1:00", "01: 5", "01:+5", "1_:00", "ab:cd", "08:00 ",
	}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			_, err := domain.ParseClockTime(s)
			assertCode(t, err, domain.CodeInvalid)
		})
	}
	assert.Panics(t, func() { domain.MustClock("25:00") })
}

func TestNewClockTime(t *testing.T) {
	t.Parallel()

	tests := []struct {
		hour, minute int
		ok           bool
	}{
		{0, 0, true},
		{23, 59, true},
		{24, 0, true},
		{24, 30, false},
		{-1, 0, false},
		{12, -1, false},
		{12, 60, false},
		{25, 0, false},
	}
	for _, tt := range tests {
		c, err := domain.NewClockTime(tt.hour, tt.minute)
		if tt.ok {
			assert.NoError(t, err, "%d:%d", tt.hour, tt.minute)
			assert.Equal(t, tt.hour*60+tt.minute, c.Minutes())
		} else {
			assertCode(t, err, domain.CodeInvalid)
		}
	}
}

func TestClockTimeText(t *testing.T) {
	t.Parallel()

	b, err := domain.MustClock("01:30").MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "01:30", string(b))

	var c domain.ClockTime
	require.NoError(t, c.UnmarshalText([]byte("22:00")))
	assert.Equal(t, domain.MustClock("22:00"), c)
	assertCode(t, c.UnmarshalText([]byte("22h00")), domain.CodeInvalid)
}

func FuzzParseClockTime(f *testing.F) {
	for _, s := range []string{"00:00", "08:30", "23:59", "24:00", "24:01", "25:00", "+1:00", " 1:00", "-0:00", "1_:00", "ab:cd", "", ":", "12:345", "\x00\x00:\x00\x00", "٠٨:٠٠"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := domain.ParseClockTime(s)
		if err != nil {
			assert.Equal(t, domain.CodeInvalid, domain.ErrorCode(err))
			return
		}
		// Only the canonical form of a clock time from 00:00 to 24:00 parses.
		assert.Equal(t, s, c.String())
		assert.GreaterOrEqual(t, c.Minutes(), 0)
		assert.LessOrEqual(t, c.Minutes(), 24*60)
	})
}

func FuzzParseLocalDate(f *testing.F) {
	for _, s := range []string{"2026-03-29", "2026-10-25", "2028-02-29", "2026-02-29", "0000-01-01", "0001-01-01", "9999-12-31", "2026-1-1", "+2026-01-01", "2026-01-01T00:00", "", "----------"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := domain.ParseLocalDate(s)
		if err != nil {
			assert.Equal(t, domain.CodeInvalid, domain.ErrorCode(err))
			return
		}
		// A parsed date is a real, non-zero date written in its canonical form.
		assert.False(t, d.IsZero())
		assert.Equal(t, s, d.String())
		again, err := domain.NewLocalDate(d.Year(), d.Month(), d.Day())
		if assert.NoError(t, err) {
			assert.Equal(t, d, again)
		}
	})
}

func TestNewInterval(t *testing.T) {
	t.Parallel()

	ba := loadLocation(t, buenosAires)
	start := time.Date(2026, 3, 10, 17, 0, 0, 0, ba)

	iv, err := domain.NewInterval(start, start.Add(90*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, time.UTC, iv.Start.Location(), "intervals hold UTC instants")
	assert.True(t, iv.Start.Equal(start))
	assert.Equal(t, 90*time.Minute, iv.Duration())

	_, err = domain.NewInterval(start, start)
	assertCode(t, err, domain.CodeInvalid)
	_, err = domain.NewInterval(start, start.Add(-time.Minute))
	assertCode(t, err, domain.CodeInvalid)
}

func TestIntervalOverlaps(t *testing.T) {
	t.Parallel()

	at := func(hhmm string) time.Time {
		c := domain.MustClock(hhmm)
		return time.Date(2026, 3, 10, 0, c.Minutes(), 0, 0, time.UTC)
	}
	iv := func(from, to string) domain.Interval { return domain.Interval{Start: at(from), End: at(to)} }
	game := iv("18:00", "19:30")

	tests := []struct {
		name     string
		other    domain.Interval
		overlaps bool
		contains bool
	}{
		{"the same interval", iv("18:00", "19:30"), true, true},
		{"touching before does not overlap", iv("16:30", "18:00"), false, false},
		{"touching after does not overlap", iv("19:30", "21:00"), false, false},
		{"well before", iv("10:00", "11:00"), false, false},
		{"well after", iv("21:00", "22:00"), false, false},
		{"one minute into the start", iv("17:00", "18:01"), true, false},
		{"one minute before the end", iv("19:29", "20:00"), true, false},
		{"inside", iv("18:30", "19:00"), true, true},
		{"around", iv("17:00", "20:00"), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.overlaps, game.Overlaps(tt.other))
			assert.Equal(t, tt.overlaps, tt.other.Overlaps(game), "overlap is symmetric")
			assert.Equal(t, tt.contains, game.Contains(tt.other))
		})
	}
}
