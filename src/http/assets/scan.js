// The scan page, enhanced: progressive enhancement only, the page works without this file.
// The codes textarea becomes one input where Enter adds the code to a visible list and keeps the
// focus, so that a hand scanner (which types the code then Enter) takes voucher after voucher; the
// check symbol is verified here as on the server (domains/vouchers/codes.ts); where the browser
// offers BarcodeDetector and a camera, a button scans with it. Before submit the list is written
// back into the textarea, one code a line: the server sees the same form as without JavaScript.
(function (root) {
  'use strict';

  var SYMBOLS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  var CHECK_SYMBOLS = SYMBOLS + '*~$=U';
  var DATA_LENGTH = 16;

  // Same reading as parseVoucherCode: case, spaces and dashes do not matter, I and L are 1, O is 0.
  // The check symbol is the 80-bit value modulo 37, computed symbol by symbol (no BigInt needed).
  function parseCode(text) {
    var cleaned = String(text)
      .normalize('NFKC')
      .toUpperCase()
      .replace(/[\s\-_.]/g, '')
      .replace(/[IL]/g, '1')
      .replace(/O/g, '0');
    if (cleaned.length !== DATA_LENGTH + 1) return { ok: false, problem: 'code_malformed' };
    var rest = 0;
    for (var i = 0; i < DATA_LENGTH; i++) {
      var digit = SYMBOLS.indexOf(cleaned.charAt(i));
      if (digit < 0) return { ok: false, problem: 'code_malformed' };
      rest = (rest * 32 + digit) % 37;
    }
    var check = cleaned.charAt(DATA_LENGTH);
    if (CHECK_SYMBOLS.indexOf(check) < 0) return { ok: false, problem: 'code_malformed' };
    if (CHECK_SYMBOLS.charAt(rest) !== check) return { ok: false, problem: 'code_check_failed' };
    return { ok: true, code: cleaned };
  }

  function formatCode(code) {
    return code.slice(0, 4) + '-' + code.slice(4, 8) + '-' + code.slice(8, 12) + '-' + code.slice(12);
  }

  var PROBLEMS = {
    code_malformed: 'ce code n’a pas la bonne forme : un code compte 17 caractères, chiffres et lettres.',
    code_check_failed: 'ce code comporte une faute de frappe : vérifiez chaque caractère, en particulier le dernier.',
  };
  var MAX_CODES = 20;
  var CAMERA_FORMATS = ['code_128', 'qr_code', 'data_matrix'];

  root.passnumScan = { parseCode: parseCode, formatCode: formatCode };
  if (typeof document === 'undefined') return;

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    for (var name in attributes) node.setAttribute(name, attributes[name]);
    if (text) node.textContent = text;
    return node;
  }

  function enhance(form) {
    var textarea = form.querySelector('[data-scan-codes]');
    var field = form.querySelector('[data-scan-field]');
    if (!textarea || !field) return;
    var codes = [];

    var label = element('label', { for: 'codes-scan' }, 'Scanner ou saisir un code');
    var hint = element('p', { class: 'hint', id: 'codes-scan-hint' }, 'Appuyez sur Entrée après chaque code (un lecteur de codes-barres le fait tout seul) : le champ reste prêt pour le chèque suivant.');
    var errorMessage = field.querySelector('.error-message');
    var input = element('input', {
      id: 'codes-scan',
      type: 'text',
      autocomplete: 'off',
      autocapitalize: 'characters',
      spellcheck: 'false',
      'aria-describedby': 'codes-scan-hint' + (errorMessage ? ' ' + errorMessage.id : ''),
    });
    if (textarea.getAttribute('aria-invalid')) input.setAttribute('aria-invalid', 'true');
    var add = element('button', { type: 'button', class: 'button button-secondary' }, 'Ajouter');
    var entry = element('div', { class: 'inline-fields' });
    var inputBox = element('div', {});
    inputBox.appendChild(input);
    entry.appendChild(inputBox);
    entry.appendChild(add);
    var status = element('p', { id: 'codes-scan-status', role: 'status', 'aria-live': 'polite' });
    var listTitle = element('p', { id: 'codes-list-title' });
    var list = element('ul', { 'aria-labelledby': 'codes-list-title' });

    // The textarea, its label and hint give way to the list; the error message stays.
    field.querySelector('label[for="codes"]').hidden = true;
    var textareaHint = field.querySelector('#codes-hint');
    if (textareaHint) textareaHint.hidden = true;
    textarea.hidden = true;
    textarea.removeAttribute('autofocus');
    field.appendChild(label);
    field.appendChild(hint);
    field.appendChild(entry);
    field.appendChild(status);
    field.appendChild(listTitle);
    field.appendChild(list);
    // The error summary's link reaches the input now.
    var links = document.querySelectorAll('a[href="#codes"]');
    for (var l = 0; l < links.length; l++) links[l].setAttribute('href', '#codes-scan');

    function announce(message) {
      // Emptied first so that the same message twice is read twice.
      status.textContent = '';
      setTimeout(function () {
        status.textContent = message;
      }, 50);
    }

    function countText() {
      return codes.length === 0 ? 'Aucun chèque' : codes.length === 1 ? '1 chèque' : codes.length + ' chèques';
    }

    function render() {
      listTitle.textContent = 'Chèques à vérifier : ' + countText().toLowerCase();
      list.textContent = '';
      codes.forEach(function (code, index) {
        var item = element('li', {});
        var text = element('span', {}, 'n° ' + (index + 1) + ' : ');
        text.appendChild(element('code', {}, code));
        item.appendChild(text);
        item.appendChild(document.createTextNode(' '));
        var remove = element('button', { type: 'button', class: 'button-link' }, 'Retirer');
        remove.appendChild(element('span', { class: 'visually-hidden' }, ' le chèque ' + code));
        remove.addEventListener('click', function () {
          codes.splice(index, 1);
          render();
          input.focus();
          announce('Chèque ' + code + ' retiré. ' + countText() + '.');
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
      textarea.value = codes.join('\n');
    }

    // Adds what was typed or scanned; true when the input can be emptied.
    function addCode(text, fromCamera) {
      var typed = String(text).trim();
      if (typed === '') return true;
      var parsed = parseCode(typed);
      if (!parsed.ok) {
        announce('Code ' + typed + ' refusé : ' + PROBLEMS[parsed.problem]);
        return false;
      }
      var code = formatCode(parsed.code);
      if (codes.indexOf(code) >= 0) {
        if (!fromCamera) announce('Le chèque ' + code + ' est déjà dans la liste.');
        return true;
      }
      if (codes.length >= MAX_CODES) {
        announce('Au plus ' + MAX_CODES + ' chèques pour un service : encaissez les autres à part.');
        return false;
      }
      codes.push(code);
      render();
      announce('Chèque ' + code + ' ajouté. ' + countText() + '.');
      return true;
    }

    function addFromInput() {
      if (addCode(input.value, false)) input.value = '';
      // A refused code stays selected: the next scan replaces it, a person can correct it.
      else input.select();
      input.focus();
    }

    input.addEventListener('keydown', function (event) {
      if (event.key === 'Enter') {
        event.preventDefault();
        addFromInput();
      }
    });
    add.addEventListener('click', addFromInput);

    // What the page came back with (a correction, an error) fills the list.
    textarea.value.split(/\r?\n|\r/).forEach(function (line) {
      var parsed = parseCode(line);
      var code = parsed.ok ? formatCode(parsed.code) : line.trim();
      if (code !== '' && codes.indexOf(code) < 0) codes.push(code);
    });
    render();

    form.addEventListener('submit', function () {
      // A code typed but not yet added goes too: the server names what is wrong with it.
      var pending = input.value.trim();
      if (pending !== '') {
        var parsed = parseCode(pending);
        var code = parsed.ok ? formatCode(parsed.code) : pending;
        if (codes.indexOf(code) < 0) codes.push(code);
      }
      textarea.value = codes.join('\n');
      stopCamera();
    });

    // Camera: only where the browser can read barcodes itself.
    var stream = null;
    var video = null;
    var cameraButton = null;
    var timer = null;

    function stopCamera() {
      if (timer) clearTimeout(timer);
      timer = null;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
      if (video) video.remove();
      video = null;
      if (cameraButton) cameraButton.textContent = 'Scanner avec la caméra';
    }

    function startCamera() {
      var Detector = window.BarcodeDetector;
      var formats = Detector.getSupportedFormats ? Detector.getSupportedFormats() : Promise.resolve(CAMERA_FORMATS);
      formats
        .then(function (supported) {
          var wanted = CAMERA_FORMATS.filter(function (f) { return supported.indexOf(f) >= 0; });
          if (wanted.length === 0) throw new Error('no format');
          var detector = new Detector({ formats: wanted });
          return navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false }).then(function (media) {
            stream = media;
            video = element('video', { muted: '', playsinline: '', 'aria-label': 'Image de la caméra' });
            video.muted = true;
            video.style.width = '100%';
            video.style.maxWidth = '30rem';
            video.style.display = 'block';
            video.srcObject = media;
            cameraButton.insertAdjacentElement('afterend', video);
            cameraButton.textContent = 'Arrêter la caméra';
            announce('Caméra ouverte : présentez le code-barres du chèque.');
            return video.play().then(function () {
              function detect() {
                if (!video) return;
                detector
                  .detect(video)
                  .then(function (found) {
                    found.forEach(function (barcode) { addCode(barcode.rawValue, true); });
                  })
                  .catch(function () {})
                  .then(function () {
                    if (video) timer = setTimeout(detect, 250);
                  });
              }
              detect();
            });
          });
        })
        .catch(function () {
          stopCamera();
          announce('La caméra n’a pas pu être ouverte : scannez avec le lecteur ou tapez le code.');
        });
    }

    if ('BarcodeDetector' in window && navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === 'function') {
      cameraButton = element('button', { type: 'button', class: 'button button-secondary' }, 'Scanner avec la caméra');
      cameraButton.addEventListener('click', function () {
        if (stream) {
          stopCamera();
          announce('Caméra arrêtée.');
        } else startCamera();
      });
      var cameraBox = element('p', {});
      cameraBox.appendChild(cameraButton);
      field.appendChild(cameraBox);
    }

    // The focus goes to the input, unless an error summary has taken it (passnum.js).
    if (!document.querySelector('[data-autofocus]')) input.focus();
  }

  function start() {
    var forms = document.querySelectorAll('[data-scan-form]');
    for (var i = 0; i < forms.length; i++) enhance(forms[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})(typeof window !== 'undefined' ? window : globalThis);
