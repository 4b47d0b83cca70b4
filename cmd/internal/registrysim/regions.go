package registrysim

// The simulator's small slice of Indonesia: real Kemendagri region codes
// and names for a few districts, with the villages' postal codes. It is
// enough for plausible documents and valid NIKs, not a gazetteer.

type province struct {
	Code string // 2 digits
	Name string
}

type city struct {
	Code     string // 4 digits, province code first
	Name     string // as printed on the KTP-el
	Short    string // as printed in "tempat terbit"
	Province province
}

type district struct {
	Code     string // 6 digits: the first six of a NIK
	Name     string
	City     city
	Villages []village
}

type village struct {
	Name       string
	PostalCode string
}

var (
	dkiJakarta = province{"31", "DKI JAKARTA"}
	jawaBarat  = province{"32", "JAWA BARAT"}
	jawaTimur  = province{"35", "JAWA TIMUR"}

	jakartaSelatan = city{"3171", "KOTA JAKARTA SELATAN", "JAKARTA SELATAN", dkiJakarta}
	kotaBandung    = city{"3273", "KOTA BANDUNG", "BANDUNG", jawaBarat}
	kotaSurabaya   = city{"3578", "KOTA SURABAYA", "SURABAYA", jawaTimur}
)

var districts = []district{
	{"317106", "KEBAYORAN BARU", jakartaSelatan, []village{
		{"SELONG", "12110"}, {"GUNUNG", "12120"}, {"KRAMAT PELA", "12130"}, {"GANDARIA UTARA", "12140"},
		{"CIPETE UTARA", "12150"}, {"PETOGOGAN", "12170"}, {"RAWA BARAT", "12180"}, {"SENAYAN", "12190"},
	}},
	{"317109", "TEBET", jakartaSelatan, []village{
		{"TEBET BARAT", "12810"}, {"TEBET TIMUR", "12820"}, {"KEBON BARU", "12830"}, {"BUKIT DURI", "12840"},
		{"MANGGARAI", "12850"}, {"MANGGARAI SELATAN", "12860"}, {"MENTENG DALAM", "12870"},
	}},
	{"317110", "SETIABUDI", jakartaSelatan, []village{
		{"SETIA BUDI", "12910"}, {"KARET", "12920"}, {"KARET SEMANGGI", "12930"}, {"KARET KUNINGAN", "12940"},
		{"KUNINGAN TIMUR", "12950"}, {"MENTENG ATAS", "12960"}, {"PASAR MANGGIS", "12970"}, {"GUNTUR", "12980"},
	}},
	{"327301", "SUKASARI", kotaBandung, []village{
		{"SARIJADI", "40151"}, {"SUKARASA", "40152"}, {"GEGERKALONG", "40153"}, {"ISOLA", "40154"},
	}},
	{"327302", "COBLONG", kotaBandung, []village{
		{"CIPAGANTI", "40131"}, {"LEBAK SILIWANGI", "40132"}, {"LEBAK GEDE", "40132"}, {"SADANG SERANG", "40133"},
		{"SEKELOA", "40134"}, {"DAGO", "40135"},
	}},
	{"357808", "GUBENG", kotaSurabaya, []village{
		{"GUBENG", "60281"}, {"KERTAJAYA", "60282"}, {"PUCANG SEWU", "60283"}, {"BARATAJAYA", "60284"},
		{"MOJO", "60285"}, {"AIRLANGGA", "60286"},
	}},
	{"357809", "SUKOLILO", kotaSurabaya, []village{
		{"KEPUTIH", "60111"}, {"GEBANG PUTIH", "60117"}, {"KLAMPIS NGASEM", "60117"}, {"MENUR PUMPUNGAN", "60118"},
		{"NGINDEN JANGKUNGAN", "60118"}, {"SEMOLOWARU", "60119"}, {"MEDOKAN SEMAMPIR", "60119"},
	}},
}

// officials sign the KK on behalf of each city's Dinas Dukcapil. The
// names are invented, like everyone in the simulator.
var officials = map[string]string{
	"3171": "DRS. BAMBANG SURYADI, M.SI",
	"3273": "DRA. ENDAH PURWANINGSIH, M.M",
	"3578": "IR. TAUFIK HIDAYAT, M.T",
}

// birthTowns is where children of a city's families are born.
var birthTowns = map[string]string{"3171": "JAKARTA", "3273": "BANDUNG", "3578": "SURABAYA"}

var birthPlaces = []string{
	"JAKARTA", "BANDUNG", "SURABAYA", "BOGOR", "BEKASI", "DEPOK", "TANGERANG", "SEMARANG",
	"YOGYAKARTA", "SURAKARTA", "MALANG", "SIDOARJO", "CIREBON", "GARUT", "TASIKMALAYA",
	"MEDAN", "PADANG", "PALEMBANG", "MAKASSAR", "DENPASAR", "KEDIRI", "MADIUN", "PURWOKERTO",
}

var streets = []string{
	"JL. TEBET RAYA", "JL. SAHARDJO", "JL. KASABLANKA", "JL. PROF. DR. SATRIO", "JL. WOLTER MONGINSIDI",
	"JL. GUNAWARMAN", "JL. DAGO", "JL. DIPATIUKUR", "JL. SETIABUDHI", "JL. GEGERKALONG HILIR",
	"JL. KERTAJAYA", "JL. DHARMAHUSADA", "JL. ARIEF RAHMAN HAKIM", "JL. KEPUTIH TEGAL",
	"GG. MELATI", "GG. MAWAR", "JL. MERPATI", "JL. KENANGA",
}

var (
	maleNames = []string{
		"AGUS", "AHMAD", "ANDI", "ARIF", "BAYU", "BUDI", "DANI", "DIMAS", "EKO", "FAJAR", "GILANG",
		"HADI", "HENDRA", "ILHAM", "IRFAN", "JOKO", "KURNIA", "MUHAMMAD", "NANANG", "RIZKY", "SLAMET",
		"TEGUH", "WAHYU", "YUDI", "ADITYA", "RAFI", "BAGAS", "DAFFA",
	}
	femaleNames = []string{
		"SITI", "SRI", "DEWI", "RINA", "AYU", "PUTRI", "NUR", "INDAH", "WULAN", "FITRI", "RATNA",
		"YULI", "ANISA", "DIAN", "MEGA", "NOVI", "RAHMA", "KARTIKA", "LAILA", "NAJWA", "AISYAH",
		"ZAHRA", "CITRA", "MAYA",
	}
	// familyNames are surnames and second names used by either sex.
	familyNames = []string{
		"SANTOSO", "WIJAYA", "PRATAMA", "HIDAYAT", "NUGROHO", "SETIAWAN", "KUSUMA", "SIREGAR",
		"NASUTION", "HARAHAP", "SIMANJUNTAK", "PERMANA", "RAHMAN", "GUNAWAN", "HASIBUAN",
		"SAPUTRA", "FIRMANSYAH", "SUTRISNO", "PURNAMA", "KURNIAWAN",
	}
	femaleSecondNames = []string{"LESTARI", "RAHAYU", "PERTIWI", "NINGSIH", "SARI", "WATI", "ANGGRAINI", "PUSPITA"}
)

var (
	religions   = []string{"ISLAM", "ISLAM", "ISLAM", "ISLAM", "ISLAM", "ISLAM", "KRISTEN", "KATOLIK", "HINDU", "BUDDHA", "KHONGHUCU"}
	bloodGroups = []string{"A", "B", "AB", "O", "O", "-"}
	adultJobs   = []string{
		"KARYAWAN SWASTA", "WIRASWASTA", "PEGAWAI NEGERI SIPIL", "GURU", "PEDAGANG", "DOKTER",
		"BURUH HARIAN LEPAS", "PERAWAT", "SOPIR", "KARYAWAN BUMN", "PETANI/PEKEBUN",
	}
	adultEducation = []string{"SLTA/SEDERAJAT", "SLTA/SEDERAJAT", "AKADEMI/DIPLOMA III/S. MUDA", "DIPLOMA IV/STRATA I", "SLTP/SEDERAJAT", "STRATA II"}
)
