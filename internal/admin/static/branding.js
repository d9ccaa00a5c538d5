// The branding preview follows the colour fields as they are typed: it points the preview's
// stylesheet (the hosted pages' own /u/branding.css, scoped to the preview) at the new colours.
// Only #rgb or #rrggbb values are used; without this script the preview shows the saved branding.
(function () {
  "use strict";
  var link = document.getElementById("preview-css");
  var primary = document.getElementById("primary");
  var background = document.getElementById("page_background");
  if (!link || !primary || !background) return;
  var hex = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
  function swatch(input) {
    var box = document.getElementById(input.id + "-swatch");
    var ok = hex.test(input.value.trim());
    if (box) box.classList.toggle("unset", !ok);
    if (box && ok) box.style.backgroundColor = input.value.trim();
    input.setAttribute("aria-invalid", String(input.value.trim() !== "" && !ok));
  }
  function update() {
    var q = new URLSearchParams();
    [["primary", primary], ["page_background", background]].forEach(function (p) {
      var v = p[1].value.trim();
      if (hex.test(v)) q.set(p[0], v.slice(1));
    });
    q.set("scope", "brand-preview");
    if (q.has("primary") || q.has("page_background")) link.href = "/u/branding.css?" + q.toString();
    else link.removeAttribute("href");
    swatch(primary);
    swatch(background);
  }
  primary.addEventListener("input", update);
  background.addEventListener("input", update);
  update();
})();
