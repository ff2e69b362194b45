// The instrument forms of the bedside page (Aldrete, PADSS, MOAA/S, CADSS, BPRS+): the total and the
// discharge verdict as the nurse scores, from the item lists the server rendered (the server's total,
// computed from the same table, is the one stored); Aldrete circulation suggested from the BP.
import { status, clearErrors, showErrors, parseNumber, timeOrError, nowIso, settle } from './forms.js';

let page = null; // { root, panel, chair, api, sessionId, outbox, refresh, zone }, from mountScores

function scoreOf(form) {
  const items = [...form.querySelectorAll('[data-item]')];
  const given = items.filter((i) => i.value.trim() !== '').map((i) => parseNumber(i.value));
  const total = form.elements.namedItem('total');
  if (total && !given.length) {
    const value = parseNumber(total.value);
    return { total: Number.isNaN(value) ? null : value, missing: value === null ? 1 : 0, byItems: false };
  }
  const sum = given.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
  return { total: given.length ? sum : null, missing: items.length - given.length, byItems: true };
}

function showTotal(form) {
  const { total, missing, byItems } = scoreOf(form);
  const max = form.dataset.max;
  const minimum = form.dataset.dischargeMin;
  const totalInput = form.elements.namedItem('total');
  if (totalInput) { // CADSS: scoring the items fills the total, which is then not typed
    if (byItems) totalInput.value = total ?? '';
    totalInput.readOnly = byItems;
  }
  let text = `Total ${total ?? '–'} of ${max}`;
  if (missing && total !== null) text += ` so far (${missing} to score)`;
  if (minimum !== undefined && total !== null && !missing) {
    text += Number(total) >= Number(minimum)
      ? ` · meets discharge criteria (${minimum} or more)`
      : ` · does not meet discharge criteria (needs ${minimum})`;
  }
  form.querySelector('output').textContent = text;
}

// Aldrete circulation is suggested from the BP against the baseline; the nurse may change it.
function suggestCirculation(form) {
  const select = form.elements.namedItem('circulation');
  if (!select || select.value) return;
  const state = page.panel('state').dataset;
  if (!state.baselineSbp || !state.latestSbp) return;
  const difference = Math.abs(Number(state.latestSbp) - Number(state.baselineSbp));
  const bands = JSON.parse(page.root.dataset.circulationBands);
  const band = bands.find(([largest]) => difference <= largest);
  select.value = String(band ? band[1] : 0);
  showTotal(form);
}

async function saveInstrument(form) {
  clearErrors(form);
  const instrument = form.dataset.instrument;
  const problems = {};
  const items = {};
  const { byItems } = scoreOf(form);
  const { api, chair, sessionId, outbox, refresh, zone } = page;
  const inputs = byItems ? [...form.querySelectorAll('[data-item]')] : [form.elements.namedItem('total')];
  for (const input of inputs) {
    const value = parseNumber(input.value);
    if (value === null) problems[input.name] = 'Score this item';
    else if (Number.isNaN(value)) problems[input.name] = 'Must be a number';
    else items[input.name] = value;
  }
  const body = { instrument, items };
  body.at = timeOrError(form.elements.namedItem('at'), zone, problems) || nowIso();
  if (Object.keys(problems).length) {
    showErrors(form, problems);
    status(form, 'Not saved: score every item.', 'error');
    return;
  }
  const title = form.dataset.title;
  const result = await outbox.submitOnce(form, { url: `${api}/assessments`, body, label: `Chair ${chair} ${title} score`, sessionId });
  if (!result) return;
  await settle(form, result, {
    saved: (record) => {
      form.reset();
      showTotal(form);
      if (record) {
        const verdict = record.meets_discharge_criteria === null ? ''
          : record.meets_discharge_criteria ? ', meets discharge criteria' : ', does not meet discharge criteria';
        const band = record.band ? ` (${record.band})` : '';
        const change = record.change_pct === null || record.change_pct === undefined ? ''
          : `, ${record.change_pct > 0 ? '+' : ''}${record.change_pct}% from baseline ${record.baseline}`;
        status(form, `Saved ${title} ${record.total}${band}${verdict}${change}.`, 'ok');
        refresh();
      }
    },
  });
}

export function mountScores(context) {
  page = context;
  for (const form of document.querySelectorAll('.instrument-form')) {
    form.addEventListener('input', () => showTotal(form));
    form.addEventListener('change', () => showTotal(form));
    form.addEventListener('submit', (event) => { event.preventDefault(); saveInstrument(form); });
    form.closest('details').addEventListener('toggle', () => suggestCirculation(form));
    suggestCirculation(form);
  }
}
