// Plots of a patient's course: BP, rise over baseline, recovery time and dose per session.
// The table above them holds every number, so the charts are static pictures for the eye.
import { plot } from './charts.js';

const holder = document.getElementById('series-charts');
if (holder) {
  const rows = JSON.parse(holder.dataset.series);
  const x = rows.map((r, i) => `Session ${r.series_number ?? i + 1}`);
  const values = (key) => rows.map((r) => r[key]);
  plot('chart-bp', [
    { name: 'Baseline SBP', x, y: values('baseline_sbp'), type: 'scatter', mode: 'lines+markers', line: { color: '#0b5cad', dash: 'dot' } },
    { name: 'Peak SBP', x, y: values('peak_sbp'), type: 'scatter', mode: 'lines+markers', line: { color: '#a3001b' } },
    { name: 'Baseline DBP', x, y: values('baseline_dbp'), type: 'scatter', mode: 'lines+markers', line: { color: '#1d6b35', dash: 'dot' } },
    { name: 'Peak DBP', x, y: values('peak_dbp'), type: 'scatter', mode: 'lines+markers', line: { color: '#8a5a00' } },
  ], 'mmHg');
  plot('chart-rise', [
    { name: 'SBP rise', x, y: values('sbp_rise'), type: 'bar', marker: { color: '#a3001b' } },
    { name: 'DBP rise', x, y: values('dbp_rise'), type: 'bar', marker: { color: '#8a5a00' } },
  ], 'mmHg');
  plot('chart-recovery', [{ name: 'Minutes', x, y: values('recovery_minutes'), type: 'bar', marker: { color: '#0b5cad' } }], 'minutes');
  plot('chart-dose', [{ name: 'mg/kg', x, y: values('dose_mg_per_kg'), type: 'scatter', mode: 'lines+markers', line: { color: '#1d6b35' } }], 'mg/kg');
}
