#!/bin/sh
# Copy the pinned browser libraries from node_modules into static/vendor, where the app serves them.
set -eu
cd "$(dirname "$0")/.."
mkdir -p static/vendor
cp node_modules/plotly.js-basic-dist-min/plotly-basic.min.js static/vendor/plotly-basic.min.js
cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/socket.io.min.js
cp node_modules/socket.io-client/dist/socket.io.min.js.map static/vendor/socket.io.min.js.map 2>/dev/null || true
cp node_modules/axe-core/axe.min.js static/vendor/axe.min.js
