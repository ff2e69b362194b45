// The REMS form page: "Mark form submitted" posts to the API, then the page shows the form as submitted.
import { send, status } from './forms.js';

const form = document.getElementById('rems-submit');

// The form is printed from the record: after a change, the page is read again; a refusal is said on the form.
async function sendThenReload(target, url, body) {
  const answer = await send('POST', url, body);
  if (answer.ok) window.location.reload();
  else status(target, answer.error.message, 'error');
}

async function submit(event) {
  event.preventDefault();
  const submittedAt = form.elements.submitted_at.value.trim();
  const reference = form.elements.reference.value.trim();
  const body = { submitted_at: submittedAt || null, reference: reference || null };
  await sendThenReload(form, `/api/sessions/${form.dataset.sessionId}/rems/submitted`, body);
}

if (form) form.addEventListener('submit', submit);

// What the record cannot know (enrolment; dose, lot or readiness when the session lacks them).
const answers = document.getElementById('rems-answers');

async function saveAnswers(event) {
  event.preventDefault();
  const body = {};
  const enrolled = answers.querySelector('[name=enrolled_in_rems]:checked');
  if (enrolled) body.enrolled_in_rems = enrolled.value === 'true';
  for (const name of ['dose_mg', 'ready_to_leave_minutes']) {
    const input = answers.elements.namedItem(name);
    if (input && input.value.trim()) body[name] = Number(input.value.trim());
  }
  const lot = answers.elements.namedItem('lot_number');
  if (lot && lot.value.trim()) body.lot_number = lot.value.trim();
  await sendThenReload(answers, `/api/sessions/${answers.dataset.sessionId}/rems/answers`, body);
}

if (answers) answers.addEventListener('submit', saveAnswers);
