// The import page: choose or drop a file, preview it (a dry run), import it with progress, show the report.
// Uploads go through XMLHttpRequest for its upload progress; while the server checks and stores the
// readings the page polls /api/imports/progress with the key it sent along.
import { csrfToken, newKey, status } from './forms.js';

const root = document.getElementById('import');
const form = document.getElementById('import-form');
const sessionId = root.dataset.sessionId;
const maxBytes = Number(root.dataset.maxBytes);
const fileInput = document.getElementById('import-file');
const dropZone = document.getElementById('drop-zone');
const fileName = document.getElementById('import-file-name');
const progressLine = document.getElementById('import-progress');
const progressBar = progressLine ? progressLine.querySelector('progress') : null;
const progressLabel = document.getElementById('import-progress-label');
const reportSection = document.getElementById('import-report');
const previewSection = document.getElementById('import-preview');
const STAGES = { reading: 'Reading the file', checking: 'Checking', storing: 'Storing', done: 'Done', failed: 'Stopped' };

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function chosenFile() {
  return fileInput.files && fileInput.files[0];
}

function showChosen() {
  const file = chosenFile();
  fileName.textContent = file ? `${file.name}, ${file.size.toLocaleString()} bytes` : 'No file chosen.';
}

function setBusy(busy) {
  for (const control of form.querySelectorAll('button, input, select')) control.disabled = busy;
}

function showProgress(fraction, label) {
  progressLine.hidden = false;
  progressBar.value = Math.round(fraction * 100);
  progressLabel.textContent = label;
}

// The request's form: the file and the options that are set (flags only when ticked).
function requestBody(dryRun, progressId) {
  const body = new FormData();
  body.append('file', chosenFile());
  const format = form.elements.format.value;
  if (format) body.append('format', format);
  const align = form.elements.align_start.value.trim();
  if (align) body.append('align_start', align);
  if (form.elements.skip_invalid.checked) body.append('skip_invalid', 'true');
  if (form.elements.confirm.checked) body.append('confirm', 'true');
  if (dryRun) body.append('dry_run', 'true');
  if (progressId) body.append('progress_id', progressId);
  return body;
}

// POST the form; resolves with {status, data}. Upload progress fills the first part of the bar.
function upload(body, onUpload) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/sessions/${sessionId}/imports`);
    request.setRequestHeader('X-CSRFToken', csrfToken());
    request.setRequestHeader('Accept', 'application/json');
    request.responseType = 'json';
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onUpload(event.loaded / event.total);
    });
    request.addEventListener('load', () => resolve({ status: request.status, data: request.response }));
    request.addEventListener('error', () => resolve({ status: 0, data: null }));
    request.send(body);
  });
}

// Poll the server's progress of this import until `stop()` is called.
function watchProgress(progressId) {
  let running = true;
  async function poll() {
    while (running) {
      try {
        const response = await fetch(`/api/imports/progress?id=${progressId}`, { credentials: 'same-origin' });
        if (response.ok) {
          const step = await response.json();
          if (running && step.total) {
            const share = step.stage === 'storing' ? 0.6 + 0.4 * (step.done / step.total) : 0.3 + 0.3 * (step.done / step.total);
            showProgress(share, `${STAGES[step.stage] || step.stage}: ${step.done.toLocaleString()} of ${step.total.toLocaleString()} readings`);
          }
        }
      } catch (error) { /* the import's own answer says what happened */ }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  poll();
  return () => { running = false; };
}

function listSection(title, items, describe) {
  const section = document.createElement('div');
  section.append(element('h3', `${title} (${items.length})`));
  const list = element('ul');
  for (const item of items) list.append(element('li', describe(item)));
  section.append(list);
  return section;
}

function showReport(report, refusedMessage) {
  reportSection.hidden = false;
  const counts = reportSection.querySelector('.counts');
  counts.replaceChildren();
  const dry = report.dry_run;
  const figures = [
    [dry ? 'would be imported' : 'imported', report.imported],
    ['already there (duplicates)', report.duplicates],
    ['skipped', report.skipped.length],
    ['rejected', report.rejected_count ?? report.rejected.length],
    ['unusual', report.unusual_count ?? (report.unusual || []).length],
  ];
  for (const [label, value] of figures) {
    const item = element('li');
    item.append(element('strong', value), document.createTextNode(` ${label}`));
    counts.append(item);
  }
  const format = element('li', `format ${report.format}${report.first_taken_at ? `, ${report.first_taken_at} to ${report.last_taken_at}` : ''}`);
  counts.append(format);
  const refused = reportSection.querySelector('.refused');
  refused.hidden = !refusedMessage;
  refused.textContent = refusedMessage || '';
  const lists = reportSection.querySelector('.report-lists');
  lists.replaceChildren();
  if (report.rejected.length) lists.append(listSection('Rejected', report.rejected, (r) => `${r.where}: ${r.field}: ${r.message}`));
  if ((report.unusual || []).length) lists.append(listSection('Unusual (need confirming)', report.unusual, (r) => `${r.where}: ${r.message}`));
  if (report.date_only) lists.append(element('p', `${report.date_only.count} readings have a date only (${report.date_only.where.join(', ')}): ${report.date_only.message}.`, 'warning'));
  if (report.skipped.length) lists.append(listSection('Skipped', report.skipped, (r) => `${r.where}: ${r.reason}`));
}

function showPreview(rows) {
  previewSection.hidden = false;
  const body = previewSection.querySelector('tbody');
  const fields = body.dataset.fields.split(' ');
  body.replaceChildren();
  for (const row of rows) {
    const line = element('tr');
    line.append(element('td', row.where), element('td', row.taken_at));
    for (const field of fields) line.append(element('td', row.values[field] ?? ''));
    const state = element('td', row.problem ? `${row.status}: ${row.problem}` : row.status, `status-${row.status}`);
    line.append(state);
    body.append(line);
  }
}

async function send(dryRun) {
  const file = chosenFile();
  if (!file) {
    status(form, 'Choose a file first.', 'error');
    fileInput.focus();
    return;
  }
  if (file.size > maxBytes) {
    status(form, `The file is over the upload limit of ${maxBytes.toLocaleString()} bytes.`, 'error');
    return;
  }
  const progressId = dryRun ? null : newKey();
  setBusy(true);
  status(form, dryRun ? 'Checking the file…' : 'Importing…');
  showProgress(0, 'Uploading');
  const stop = progressId ? watchProgress(progressId) : () => {};
  const answer = await upload(requestBody(dryRun, progressId), (share) => showProgress(share * 0.3, 'Uploading'));
  stop();
  setBusy(false);
  const data = answer.data || {};
  if (answer.status === 200 || answer.status === 201) {
    showProgress(1, dryRun ? 'Checked' : 'Done');
    showReport(data, data.refused ? data.refused.message : '');
    if (dryRun) {
      showPreview(data.preview || []);
      status(form, data.refused ? 'The import would be refused: see the report.' : `Ready: ${data.imported} readings would be imported.`, data.refused ? 'warning' : 'ok');
    } else {
      status(form, `Imported ${data.imported} readings (${data.duplicates} already there).`, 'ok');
    }
    return;
  }
  progressLine.hidden = true;
  const error = data.error || { message: answer.status ? `The server answered ${answer.status}.` : 'The server cannot be reached.' };
  if (data.report) showReport(data.report, error.message);
  status(form, error.message, error.code === 'needs_confirmation' ? 'warning' : 'error');
}

function init() {
  fileInput.addEventListener('change', showChosen);
  for (const name of ['dragenter', 'dragover']) {
    dropZone.addEventListener(name, (event) => { event.preventDefault(); dropZone.classList.add('over'); });
  }
  for (const name of ['dragleave', 'drop']) {
    dropZone.addEventListener(name, () => dropZone.classList.remove('over'));
  }
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      fileInput.files = event.dataTransfer.files;
      showChosen();
    }
  });
  document.getElementById('preview-button').addEventListener('click', () => send(true));
  form.addEventListener('submit', (event) => { event.preventDefault(); send(false); });
}

if (form) init(); // a signed session has no form
