package journal

// schemaV11 gives each job the station's id of its document type
// (SubmitRequest.DocumentType), which the fleet's job_state events carry.
// Jobs written before it get the id of their title when the title is one
// of the station's registered document names (the station sent its
// TitleID as the title), and "" otherwise (a test print): the fleet event
// then leaves document_type out, as the hub reads an older kiosk's.
const schemaV11 = `
ALTER TABLE jobs ADD COLUMN document_type TEXT NOT NULL DEFAULT '';
UPDATE jobs SET document_type = CASE title
	WHEN 'KTP-el' THEN 'ktp-el'
	WHEN 'KIA' THEN 'kia'
	WHEN 'Kartu Keluarga' THEN 'kk'
	WHEN 'Akta Kelahiran' THEN 'akta-kelahiran'
	WHEN 'Akta Kematian' THEN 'akta-kematian'
	WHEN 'Akta Perceraian' THEN 'akta-perceraian'
	WHEN 'Akta Perkawinan' THEN 'akta-perkawinan'
	WHEN 'Surat Keterangan Pindah WNI' THEN 'skpwni'
	ELSE '' END;
`
