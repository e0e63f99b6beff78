package writ

import "time"

// DataKind is a kind of ingested data; each has its own table.
type DataKind string

const (
	DataRecords    DataKind = "records"
	DataContacts   DataKind = "contacts"
	DataPings      DataKind = "pings"
	DataPlateReads DataKind = "plate_reads"
)

// Category is the data category an authority must cover for this kind.
func (k DataKind) Category() Category {
	switch k {
	case DataRecords:
		return CatRecords
	case DataContacts:
		return CatComms
	case DataPings:
		return CatLocation
	case DataPlateReads:
		return CatPlates
	}
	return ""
}

// Valid reports whether k is a known kind.
func (k DataKind) Valid() bool { return k.Category() != "" }

// BatchInfo is the marker of a committed batch. (SourceKey, Number) is its
// key: a batch is committed at most once, so re-ingesting adds nothing.
type BatchInfo struct {
	ID int64 `json:"id"` // what the rows' Provenance.Batch holds, in decimal
	// SourceKey identifies the source: "sha256:<hex>" of a file's bytes (so
	// the same content under another name is recognised) or "stream:<name>".
	SourceKey string `json:"source_key"`
	// Number is, for files, the batch's place: it holds input rows
	// [Number*Size, (Number+1)*Size). For streams, the batch's last sequence.
	Number    int64    `json:"number"`
	Size      int      `json:"size"` // rows per batch; a source is always cut the same way
	Dataset   string   `json:"dataset"`
	Source    string   `json:"source"` // file path or stream name, as given
	Kind      DataKind `json:"kind"`
	BasisKind string   `json:"basis_kind"` // "authority" or "agreement"
	BasisID   int64    `json:"basis_id"`
	// Read counts the input rows the batch covers: stored, quarantined, and
	// (streams) skipped as already stored.
	Read        int64     `json:"read"`
	Stored      int64     `json:"stored"`
	Quarantined int64     `json:"quarantined"`
	CommittedAt time.Time `json:"committed_at"`
}

// Batch is one unit of ingestion: rows of one kind from one source,
// committed in one transaction with its quarantined rows and its marker.
// The rows' provenance other than Offset and ContentHash comes from the
// batch; CommitBatch fills it in.
type Batch struct {
	BatchInfo
	// Stream, when set, names a stream whose high-water mark (the last
	// committed sequence) moves to Number in the same transaction; rows whose
	// Offset (their sequence) is at or below the mark are not written again,
	// so at-least-once delivery stores each row once.
	Stream string

	// The rows: only the slice matching Kind may be non-empty.
	Contacts   []Contact
	Pings      []Ping
	PlateReads []PlateRead
	Records    []Record

	Quarantine []QuarantinedRow
	// Fields declares the dataset's record fields, protected or not
	// (records only); the store keeps the union, and once protected a field
	// stays protected.
	Fields []FieldSchema
}

// BatchResult says what CommitBatch did.
type BatchResult struct {
	ID          int64 // the batch's id; zero when it was committed before
	Committed   bool  // false: the batch was already committed and nothing was written
	Stored      int   // rows written
	Skipped     int   // stream rows at or below the high-water mark
	Quarantined int   // quarantined rows written
}

// QuarantinedRow is an input row that could not be stored as it was, kept
// with the reason so that nothing is lost silently.
type QuarantinedRow struct {
	ID      int64  `json:"id"`
	BatchID int64  `json:"batch_id"`
	Dataset string `json:"dataset"`
	Source  string `json:"source"`
	Offset  int64  `json:"offset"` // line (or JSON array element, or stream sequence)
	Field   string `json:"field"`  // the mapping target or input column; "" for the whole row
	Reason  string `json:"reason"` // a code, e.g. "bad_utf8", "column_count", "bad_date"
	Detail  string `json:"detail"`
	Raw     []byte `json:"raw"`      // the row as read, truncated to MaxQuarantineRaw bytes
	RawSize int64  `json:"raw_size"` // the row's full size in bytes
}

// MaxQuarantineRaw bounds the raw bytes kept of a quarantined row.
const MaxQuarantineRaw = 4096

// QuarantineFilter narrows a listing of quarantined rows.
type QuarantineFilter struct {
	BatchID int64 // zero: every batch
	Dataset string
	AfterID int64 // keyset paging
	Limit   int   // zero: DefaultLimit
}

// FieldSchema is one field of a records dataset.
type FieldSchema struct {
	Dataset   string `json:"dataset"`
	Field     string `json:"field"`
	Entity    Entity `json:"entity"`
	Protected bool   `json:"protected"` // never a selector, filter, facet or sort key
}
