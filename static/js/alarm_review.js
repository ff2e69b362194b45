// The alarm review's charts: figures built on the server (plotly.graph_objects in views/alarms.py),
// drawn with the pages' one chart look; the tables under them hold the same numbers.
import { plot } from './charts.js';

const figures = JSON.parse(document.getElementById('alarm-charts').dataset.charts);
plot('chart-alarm-outcomes', figures.outcomes.data, '', figures.outcomes.layout);
plot('chart-alarm-versions', figures.versions.data, '', figures.versions.layout);
