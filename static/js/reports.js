// The clinic's figures as charts; the tables under each chart hold the same numbers.
import { plot } from './charts.js';

const holder = document.getElementById('report-charts');
const report = JSON.parse(holder.dataset.report);
const label = (kind) => kind.replace(/_/g, ' ');
const binLabel = (b) => `${b.from} to ${b.to}`;

plot('chart-weeks', [{ x: report.per_week.map((w) => w.week), y: report.per_week.map((w) => w.sessions), type: 'bar', marker: { color: '#0b5cad' }, name: 'Sessions' }], 'sessions', { xaxis: { type: 'category' } });
plot('chart-rise', [{ x: report.bp_rise.bins.map(binLabel), y: report.bp_rise.bins.map((b) => b.count), type: 'bar', marker: { color: '#a3001b' }, name: 'Sessions' }], 'sessions', { xaxis: { type: 'category', title: { text: 'mmHg' } } });
plot('chart-effects', [{ y: report.side_effects.map((e) => label(e.kind)), x: report.side_effects.map((e) => e.percent), type: 'bar', orientation: 'h', marker: { color: '#8a5a00' }, name: '% of sessions' }], '', { xaxis: { title: { text: '% of sessions' } }, yaxis: { automargin: true } });
plot('chart-recovery', [{ x: report.recovery.bins.map(binLabel), y: report.recovery.bins.map((b) => b.count), type: 'bar', marker: { color: '#1d6b35' }, name: 'Sessions' }], 'sessions', { xaxis: { type: 'category', title: { text: 'minutes' } } });
