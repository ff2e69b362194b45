// The clinic's words and the numbers of the rules in force, as the server wrote them once
// (monitor/views/vocabulary.py, on <body data-vocabulary>): labels and units, state words, priority
// ranks, final states, overdue and silence minutes. No script types its own copy.
const WORDS = JSON.parse(document.body.dataset.vocabulary || '{}');

export default WORDS;

// A field's short heading, as the tables show it: "Temp", "SpO2", "MOAA/S".
export function shortLabel(name) { return (WORDS.short[name] || { label: name }).label; }
