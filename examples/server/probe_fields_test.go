package main

import (
	"slices"
	"strings"
)

// fieldKind is what a field holds, as the probe picks hostile values for it.
type fieldKind int

const (
	kText fieldKind = iota
	kID
	kEmail
	kInstant
	kDate
	kInstantOrDate
	kClock
	kSport
	kCategory
	kEnum
	kCurrency
	kWeekday
	kInt
	kBool
	kArray
	kObject
)

// kindOf classifies a schema: by the component it references, its format, its type,
// then its name.
func (d *oaDoc) kindOf(name string, s *oaSchema) (fieldKind, *oaSchema) {
	res, ref := d.resolve(s)
	if res == nil {
		return kText, &oaSchema{}
	}
	for _, alt := range res.AnyOf {
		if _, r := d.resolve(alt); r == "Sport" {
			return kSport, res
		}
	}
	if len(res.OneOf) > 0 {
		return kInstantOrDate, res
	}
	switch {
	case ref == "Instant" || res.Format == "date-time":
		return kInstant, res
	case res.Format == "date":
		return kDate, res
	case ref == "ClockTime":
		return kClock, res
	case ref == "Sport":
		return kSport, res
	case ref == "CustomerCategory":
		return kCategory, res
	case len(res.Enum) > 0:
		return kEnum, res
	case res.Type == "integer":
		return kInt, res
	case res.Type == "boolean":
		return kBool, res
	case res.Type == "array":
		return kArray, res
	case res.Type == "object" || len(res.Properties) > 0:
		return kObject, res
	case res.Format == "email":
		return kEmail, res
	case name == "currency":
		return kCurrency, res
	case name == "id" || strings.HasSuffix(name, "_id"):
		return kID, res
	}
	return kText, res
}

// valueCtx is what kind-specific hostile values are made of: the field's valid value
// and the ids of the same kind of thing in another club.
type valueCtx struct {
	valid   any
	otherID string // another club's id for this field; "" when none applies
	maxLen  int
	maximum *float64
}

// bodyValues are the hostile JSON values of a body field of kind k.
func bodyValues(k fieldKind, c valueCtx) []hostile {
	var hs []hostile
	str := func(label, v string) { hs = append(hs, hostile{label, v, mustRefuse}) }
	validStr, _ := c.valid.(string)
	switch k {
	case kInt:
		hs = intValues()
		if c.maximum != nil {
			hs = append(hs, hostile{"above-max", rawJSON(itoa(int64(*c.maximum) + 1)), mustRefuse})
		}
		return hs
	case kBool:
		return []hostile{{"string", "true", mustRefuse}, {"number", rawJSON("1"), mustRefuse}, {"array", []any{true}, mustRefuse}, {"object", jsonObj{}, mustRefuse}}
	case kObject:
		return []hostile{{"string", "x", mustRefuse}, {"number", rawJSON("1"), mustRefuse}, {"array", []any{}, mustRefuse}}
	case kArray:
		return []hostile{{"empty", []any{}, mustRefuse}, {"string", "mon", mustRefuse}, {"object", jsonObj{}, mustRefuse}}
	}
	hs = stringBasics()
	str("empty", "")
	switch k {
	case kText:
		str("blank", "   ")
		if c.maxLen > 0 {
			str("over-max", strings.Repeat("x", c.maxLen+1))
		}
		str("10kb", strings.Repeat("x", tenKB))
	case kID:
		str("blank", "   ")
		str("unknown-id", "0190c0de-0000-7000-8000-000000000000")
		if c.otherID != "" {
			str("other-club-id", c.otherID)
		}
		str("10kb", strings.Repeat("x", tenKB))
	case kEmail:
		str("not-an-email", "nope")
		str("two-at", "a@b@example.com")
		str("display-name", "Ana <ana@example.com>")
		str("over-max", strings.Repeat("a", 250)+"@x.io")
		str("10kb", strings.Repeat("x", tenKB))
	case kInstant:
		str("year-0", "0000-01-01T00:00:00Z")
		str("year-99999", "99999-01-01T00:00:00Z")
		str("year-9999", "9999-12-31T23:59:59Z")
		str("feb-30", "2026-02-30T10:00:00Z")
		str("no-offset", strings.TrimSuffix(validStr, validStr[len(validStr)-6:]))
		str("bad-offset", validStr[:len(validStr)-6]+"+99:00")
		str("date-only", validStr[:10])
		str("off-grid", shiftInstant(validStr, 7))
		str("past", shiftInstant(validStr, -30*24*60))
		str("10kb", strings.Repeat("x", tenKB))
	case kDate:
		str("year-0", "0000-01-01")
		str("year-99999", "99999-01-01")
		str("year-1", "0001-01-01")
		str("year-9999", "9999-12-31")
		str("feb-30", "2026-02-30")
		str("month-13", "2026-13-01")
		str("date-time", validStr+"T00:00:00Z")
		str("10kb", strings.Repeat("x", tenKB))
	case kClock:
		str("off-grid", validStr[:3]+"07")
		str("24:00", "24:00")
		str("24:01", "24:01")
		str("25:00", "25:00")
		str("negative", "-1:00")
		str("one-digit-hour", "8:00")
		str("seconds", validStr+":00")
		str("10kb", strings.Repeat("x", tenKB))
	case kSport:
		str("unknown-sport", "curling")
		str("upper-case", "PADEL")
		str("bad-slug", "padel!")
		str("10kb", strings.Repeat("x", tenKB))
	case kCategory:
		str("member", "member")
		str("unknown", "platinum")
		str("upper-case", "GUEST")
	case kEnum, kWeekday:
		str("unknown", "funday")
		str("upper-case", strings.ToUpper(validStr))
		str("10kb", strings.Repeat("x", tenKB))
		if k == kWeekday {
			str("full-name", "monday")
		}
	case kCurrency:
		str("other-currency", "EUR")
		str("lower-case", "ars")
		str("unknown", "XYZ")
	}
	return hs
}

// queryValues are the hostile values (escaped) of a path or query parameter of kind k.
func queryValues(k fieldKind, c valueCtx) []hostile {
	hs := queryBasics()
	str := func(label, v string) { hs = append(hs, hostile{label, v, mustRefuse}) }
	switch k {
	case kInt:
		hs = append(hs, intQuery()...)
		if c.maximum != nil {
			str("above-max", itoa(int64(*c.maximum)+1))
		}
	case kDate:
		str("year-0", "0000-01-01")
		str("year-99999", "99999-01-01")
		str("year-1", "0001-01-01")
		str("year-9999", "9999-12-31")
		str("feb-30", "2026-02-30")
		str("date-time", "2026-03-14T00:00:00Z")
	case kInstantOrDate:
		str("year-0-date", "0000-01-01")
		str("year-0-instant", "0000-01-01T00:00:00Z")
		str("year-99999", "99999-01-01")
		str("year-1", "0001-01-01")
		str("year-9999", "9999-12-31")
		str("feb-30", "2026-02-30")
		str("no-offset", "2026-03-14T10:00:00")
	case kSport:
		str("unknown-sport", "curling")
		str("upper-case", "PADEL")
		str("bad-slug", "padel%21")
	case kCategory:
		str("member", "member")
		str("unknown", "platinum")
		str("upper-case", "GUEST")
	case kEnum:
		str("unknown", "funday")
		if s, ok := c.valid.(string); ok {
			str("upper-case", strings.ToUpper(s))
		}
	case kID:
		str("unknown-id", "0190c0de-0000-7000-8000-000000000000")
		if c.otherID != "" {
			str("other-club-id", c.otherID)
		}
		str("encoded-slash", "a%2Fb")
	}
	return hs
}

// within reports whether label is one of labels.
func within(label string, labels ...string) bool { return slices.Contains(labels, label) }
