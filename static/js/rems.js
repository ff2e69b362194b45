// The REMS form page: "Mark form submitted" posts to the API, then the page shows the form as submitted.
import { send, status } from './forms.js';

const form = document.getElementById('rems-submit');

async function submit(event) {
  event.preventDefault();
  const submittedAt = form.elements.submitted_at.value.trim();
  const reference = form.elements.reference.value.trim();
  const body = { submitted_at: submittedAt || null, reference: reference || null };
  const answer = await send('POST', `/api/sessions/${form.dataset.sessionId}/rems/submitted`, body);
  if (answer.ok) {
    window.location.reload();
    return;
  }
  status(form, answer.error.message, 'error');
}

if (form) form.addEventListener('submit', submit);
