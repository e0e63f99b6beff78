package ingest

import "fmt"

// Reasons a row is quarantined: the closed set a RowError carries, which
// docs/ingest.md lists with examples.
const (
	ReasonBadUTF8       = "bad_utf8"       // the row is not valid UTF-8
	ReasonColumnCount   = "column_count"   // a CSV row has more or fewer columns than the header
	ReasonLineTooLong   = "line_too_long"  // a row (or JSON element) is longer than the limit
	ReasonBadCSV        = "bad_csv"        // a quoted CSV field is not closed properly
	ReasonBadJSON       = "bad_json"       // a row is not a JSON object
	ReasonMissing       = "missing_field"  // a required field is absent or empty
	ReasonBadDate       = "bad_date"       // a date or time that does not parse, is ambiguous or out of range
	ReasonBadCoordinate = "bad_coordinate" // a latitude or longitude that does not parse or is out of range
	ReasonBadNumber     = "bad_number"     // an int or float that does not parse
	ReasonBadPhone      = "bad_phone"      // not a possible phone number
	ReasonBadPlate      = "bad_plate"      // no letters or digits, or too long for a plate
	ReasonBadValue      = "bad_value"      // an id with control characters, a JSON object where a value belongs, ...
	ReasonTruncated     = "truncated"      // the file ends in the middle (a truncated or corrupt gzip stream)
)

// Reasons lists every reason code.
var Reasons = []string{ReasonBadUTF8, ReasonColumnCount, ReasonLineTooLong, ReasonBadCSV, ReasonBadJSON, ReasonMissing,
	ReasonBadDate, ReasonBadCoordinate, ReasonBadNumber, ReasonBadPhone, ReasonBadPlate, ReasonBadValue, ReasonTruncated}

// RowError says why a row, or one of its fields, cannot be stored as it is.
type RowError struct {
	Reason string // one of the Reason constants
	Field  string // the target field (or input column); "" for the whole row
	Detail string
}

func (e *RowError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: field %s: %s", e.Reason, e.Field, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Reason, e.Detail)
}

func rowErr(reason, format string, args ...any) *RowError {
	return &RowError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}
