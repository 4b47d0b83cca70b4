'use strict';
// The verification page: a scanner types the QR text and Enter, or a
// person pastes it; the station checks it offline against its keys.
(function () {
  const texts = {
    id: {
      title: 'Periksa Keaslian Dokumen', lang_switch: 'English',
      lead: 'Pindai kode QR pada dokumen, atau tempel teksnya di bawah.',
      label: 'Teks kode QR (diawali DQ1:)', check: 'Periksa',
      f_document: 'Dokumen', f_number: 'Nomor', f_name: 'Nama', f_issued: 'Tanggal terbit', f_key: 'Kunci penanda tangan',
      compare: 'Bandingkan data ini dengan yang tercetak pada dokumen.',
      valid: 'Asli: kode QR ini ditandatangani oleh Dukcapil.', failed: 'Pemeriksaan gagal. Silakan coba lagi.'
    },
    en: {
      title: 'Check a Document', lang_switch: 'Bahasa Indonesia',
      lead: 'Scan the QR code on the document, or paste its text below.',
      label: 'QR code text (starts with DQ1:)', check: 'Check',
      f_document: 'Document', f_number: 'Number', f_name: 'Name', f_issued: 'Issue date', f_key: 'Signing key',
      compare: 'Compare these details with those printed on the document.',
      valid: 'Genuine: this QR code was signed by the civil registry.', failed: 'The check failed. Please try again.'
    }
  };
  let lang = 'id';
  let last = null;
  const $ = (id) => document.getElementById(id);

  function apply() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = texts[lang][el.dataset.t]; });
    if (last) show(last);
  }

  function show(r) {
    last = r;
    $('result').hidden = false;
    const v = $('verdict');
    v.className = 'verdict ' + (r.valid ? 'valid' : 'invalid');
    if (r.valid) {
      v.textContent = texts[lang].valid;
      $('f-document').textContent = r.title;
      $('f-number').textContent = r.number;
      $('f-name').textContent = r.name;
      $('f-issued').textContent = r.issued;
      $('f-key').textContent = r.key_id;
    } else {
      v.textContent = r.error ? (lang === 'en' ? r.error.message_en : r.error.message_id) : texts[lang].failed;
      // A refusal must not leave the previous document's details on screen.
      document.querySelectorAll('#fields dd').forEach((dd) => { dd.textContent = ''; });
    }
    const fields = $('fields');
    fields.hidden = !r.valid;
    // verify.css lays the list out as a grid, which overrides the hidden
    // attribute; set display too (CSSOM is allowed by the page's CSP).
    fields.style.display = r.valid ? '' : 'none';
    $('compare').hidden = !r.valid; // nothing to compare after a refusal
  }

  $('lang').addEventListener('click', () => { lang = lang === 'id' ? 'en' : 'id'; apply(); });
  $('verify-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    // Keep spaces inside (base45 has them); drop the scanner's line end.
    const text = $('qr-text').value.replace(/[\r\n]+$/, '');
    try {
      const res = await fetch('/api/verify', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text })
      });
      show(await res.json());
    } catch (e) {
      show({ valid: false });
    }
  });
  $('qr-text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); $('verify-form').requestSubmit(); }
  });
  apply();
})();
