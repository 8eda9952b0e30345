/*
 * Draws each dashboard chart with Chart.js from the JSON block beside it (the same figures as the
 * table next to it, which is what shows without JavaScript).
 */
(function () {
  'use strict';
  if (!window.Chart) return;
  var colours = ['#1d70b8', '#d4351c', '#00703c', '#f47738', '#4c2c92'];

  document.querySelectorAll('[data-chart]').forEach(function (holder) {
    var source = document.getElementById(holder.getAttribute('data-chart'));
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var canvas = document.createElement('canvas');
    // The figures are in the table beside it: the canvas is an image with a name, not read cell by cell.
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', holder.getAttribute('data-chart-label') + ': the table below has the same figures');
    holder.appendChild(canvas);
    new window.Chart(canvas, {
      type: data.type,
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s, i) {
          return { label: s.label, data: s.data, borderColor: colours[i % colours.length], backgroundColor: colours[i % colours.length] };
        }),
      },
      options: { responsive: true, animation: false, scales: { y: { beginAtZero: true } } },
    });
  });
})();
