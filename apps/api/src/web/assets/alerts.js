/*
 * Live alerts for managers: listens to /alerts/stream (server-sent events, the session cookie signs
 * it in) and, for each new alert, updates the header's alert count and, on /alerts, swaps in the
 * inbox table from /alerts/table. Without JavaScript the page is the same, as of its last load.
 */
(function () {
  'use strict';
  if (!window.EventSource || !window.fetch) return;

  var announce = document.querySelector('[data-alerts-announce]');

  function setCount(total) {
    var badge = document.querySelector('[data-alert-count]');
    if (!badge) return;
    badge.textContent = String(total);
    badge.hidden = !(total > 0);
  }

  // The worker publishes an alert as it projects it; the inbox may be a moment behind, so look again until it shows.
  function refresh(alert, tries) {
    fetch('/alerts/table', { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok) throw new Error('alerts table: ' + response.status);
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement('div');
        holder.innerHTML = html;
        var fresh = holder.querySelector('#alerts-table');
        if (!fresh) return;
        var shown = !alert.escalationId || fresh.querySelector('[data-escalation-id="' + CSS.escape(alert.escalationId) + '"]');
        if (!shown && tries < 20) {
          setTimeout(function () {
            refresh(alert, tries + 1);
          }, 250);
          return;
        }
        setCount(Number(fresh.getAttribute('data-alert-total')) || 0);
        var table = document.getElementById('alerts-table');
        if (!table) return;
        table.replaceWith(fresh);
        var sortable = fresh.querySelector('[data-module="moj-sortable-table"]');
        if (sortable) {
          import('/moj/moj-frontend.min.js')
            .then(function (moj) {
              new moj.SortableTable(sortable);
            })
            .catch(function () {});
        }
        if (announce) announce.textContent = 'New alert: ' + alert.reference;
      })
      .catch(function () {
        /* the next alert, or a reload, brings the table up to date */
      });
  }

  var source = new EventSource('/alerts/stream');
  source.addEventListener('alert', function (event) {
    var alert;
    try {
      alert = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    refresh(alert, 0);
  });
})();
