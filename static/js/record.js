// The printable record: the print button (the page itself needs no script to print).
document.getElementById('print-record').addEventListener('click', () => window.print());
