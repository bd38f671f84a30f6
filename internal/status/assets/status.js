// Shows the page's UTC times in the reader's own time zone. The page reads
// fine without it: every time is printed in UTC by the server.
(function () {
  "use strict";
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (e) {
    return;
  }
  var els = document.querySelectorAll("time[data-local]");
  for (var i = 0; i < els.length; i++) {
    var el = els[i];
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) continue;
    el.title = el.textContent;
    el.textContent = fmt.format(d);
  }
})();
