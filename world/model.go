package world

import "time"

// The in-memory world: everything but the events, which are streamed. Types
// are compact (indices, not pointers) so a million persons fit comfortably.

// Place kinds.
const (
	kindHome uint8 = iota
	kindWork
	kindShop
	kindVenue
	kindSchool
)

var kindNames = [...]string{"home", "work", "shop", "venue", "school"}

// Occupations.
const (
	occChild uint8 = iota // too young for school or a phone
	occPupil
	occStudent
	occEmployed
	occUnemployed
	occRetired
)

var occNames = [...]string{"child", "pupil", "student", "employed", "unemployed", "retired"}

// Ring roles; roleNone for everyone else.
const (
	roleNone uint8 = iota
	roleSeller
	roleSupplier
	roleCourier
	roleBuyer
)

var roleNames = [...]string{"", "seller", "supplier", "courier", "buyer"}

// Phone kinds.
const (
	phoneMobile uint8 = iota
	phoneWork
	phoneLandline
	phoneBurner
	phoneHub
)

var phoneKindNames = [...]string{"mobile", "work", "landline", "burner", "hub"}

// address is a street address: municipality, street and house number.
type address struct {
	muni   uint8
	street uint16
	number uint16
	box    uint8 // flat number, 0 for none
}

type person struct {
	given, middle, family string
	sex                   byte // 'M' or 'F'
	culture               uint8
	occ                   uint8
	role                  uint8
	religion              uint8 // protected; drawn independently of everything else
	ethnicity             uint8 // protected
	health                uint8 // protected
	dob                   int32 // days since 1970-01-01
	serial                uint16
	household             int32
	community             int32
	employer              int32 // -1: none
	school                int32 // place, -1: none
	vehicle               int32 // -1: none
	mobile                int32 // primary phone, -1: none
	work                  int32 // work phone, -1: none
	burner                int32 // first burner of a chain (phone.next), -1: none
	callRate              float32
}

type household struct {
	addr     address
	prev     address // before the move; valid when moved != 0
	moved    int32   // day of the move, days since 1970; 0: never moved
	home     int32   // place
	first, n int32   // members are persons[first : first+n]
	landline int32   // phone, -1: none
}

type community struct {
	first, n int32 // persons
	muni     uint8
	culture  uint8
	shops    [2]int32
	venues   [3]int32
}

type employer struct {
	name, vat string
	place     int32
	first, n  int32 // employees are workers[first : first+n]
}

type place struct {
	kind  uint8
	pt    point
	name  string
	muni  uint8
	owner int32 // household for homes, employer for workplaces, -1 otherwise
}

type phone struct {
	number   uint64 // national significant number, e.g. 471234567
	kind     uint8
	device   int32 // -1 for landlines and hubs
	holder   int32 // person; -1 for landlines and hubs
	holder2  int32 // a second person sharing it, -1: none
	house    int32 // household of a landline
	from, to int64 // unix seconds it was in use; 0: the whole window
	next     int32 // the burner that replaced this one, -1: none
	hubName  string
}

type device struct {
	imei     uint64
	phone    int32
	interval int32 // seconds between fixes when still
	nightOff bool  // switched off at night
}

type vehicle struct {
	plate   string // 1-ABC-123
	raw     string // 1ABC123, as cameras read it
	vin     string
	owner   int32
	make    uint8
	colour  uint8
	year    uint16
	regDate int32 // days since 1970
}

type camera struct {
	id       string
	col, row int
	pt       point
}

// world is the generated static world.
type world struct {
	cfg       Config
	seed      uint64
	start     time.Time
	startUnix int64
	days      int

	persons      []person
	households   []household
	communities  []community
	employers    []employer
	workers      []int32
	places       []place
	phones       []phone
	devices      []device
	vehicles     []vehicle
	cameras      []camera
	camAt        []int32 // grid crossing (row*gridCols+col) -> camera, -1: none
	hubs         []int32 // phones
	byMuni       [][]int32
	schools      [][]int32 // by municipality
	venues       []int32
	venuesByMuni [][]int32
	ring         ring
}
