package fault

// Refusals of a request for what HTTP carries, before any handler reads
// it. Every listener of Anjungan (kiosk, console, printerd's API,
// registry-sim) answers them with these codes, so a client error is never
// reported as Internal. The messages are for whoever stands at the
// screen: a citizen cannot cause them with the kiosk page, so they say to
// ask an officer.
var (
	EncodingUnsupported = New("encoding_unsupported",
		"Permintaan memakai pemadatan (Content-Encoding) yang tidak diterima. Silakan hubungi petugas.",
		"The request uses a compression (Content-Encoding) that is not accepted. Please ask an officer.")
	ContentTypeUnsupported = New("content_type_unsupported",
		"Jenis isi permintaan tidak diterima. Silakan hubungi petugas.",
		"The request's content type is not accepted. Please ask an officer.")
	BodyInvalid = New("body_invalid",
		"Isi permintaan tidak dapat dibaca. Silakan hubungi petugas.",
		"The request's content cannot be read. Please ask an officer.")
	BodyTooLarge = New("body_too_large",
		"Isi permintaan terlalu besar. Silakan hubungi petugas.",
		"The request is too large. Please ask an officer.")
	HeadersTooLarge = New("headers_too_large",
		"Kepala permintaan terlalu besar. Silakan hubungi petugas.",
		"The request's headers are too large. Please ask an officer.")
	RequestMalformed = New("request_malformed",
		"Permintaan rusak atau tidak lengkap. Silakan hubungi petugas.",
		"The request is malformed or incomplete. Please ask an officer.")
	RequestTimeout = New("request_timeout",
		"Permintaan tidak selesai dikirim pada waktunya. Silakan coba lagi.",
		"The request did not arrive in time. Please try again.")
	RouteNotFound = New("route_not_found",
		"Alamat ini tidak ada. Silakan kembali ke halaman awal.",
		"There is nothing at this address. Please go back to the start page.")
	MethodNotAllowed = New("method_not_allowed",
		"Cara permintaan ini tidak diterima di alamat ini. Silakan kembali ke halaman awal.",
		"This address does not accept this kind of request. Please go back to the start page.")
	CrossSite = New("cross_site",
		"Permintaan dari situs lain ditolak.",
		"A request from another site was refused.")
)
