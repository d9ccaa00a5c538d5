// The Action editor: the form's own <textarea>, given line numbers and JavaScript colouring drawn
// underneath it. Written for this dashboard: no dependency, no eval, no innerHTML — the code is
// only ever added to the page as text nodes, so nothing typed or pasted can become markup.
// Without this script the textarea works as it is.
(function () {
  "use strict";
  var KEYWORDS = new Set(("async await break case catch class const continue debugger default delete do else export " +
    "extends finally for function if import in instanceof let new of return static super switch this throw try " +
    "typeof var void while with yield true false null undefined").split(" "));
  // Comments, strings (unterminated ones run to the end of the line), numbers, words.
  var TOKEN = /(\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|("(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|`(?:[^`\\]|\\[\s\S])*`?)|(\b(?:0[xX][\da-fA-F]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\b)|([A-Za-z_$][\w$]*)/g;

  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  function highlight(code, into) {
    var frag = document.createDocumentFragment();
    var last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(code)) !== null) {
      if (m.index > last) frag.appendChild(document.createTextNode(code.slice(last, m.index)));
      var cls = m[1] ? "tok-c" : m[2] ? "tok-s" : m[3] ? "tok-n" : KEYWORDS.has(m[4]) ? "tok-k" : "";
      frag.appendChild(cls ? span(cls, m[0]) : document.createTextNode(m[0]));
      last = m.index + m[0].length;
    }
    // The trailing newline keeps the last line's height when the code ends with one.
    frag.appendChild(document.createTextNode(code.slice(last) + "\n"));
    into.replaceChildren(frag);
  }

  function numbers(count, errorLine, into) {
    var frag = document.createDocumentFragment();
    for (var i = 1; i <= count; i++) {
      frag.appendChild(span(i === errorLine ? "bad" : "", String(i)));
    }
    into.replaceChildren(frag);
  }

  function bytes(s) { return new TextEncoder().encode(s).length; }

  function setUp(area) {
    var errorLine = parseInt(area.getAttribute("data-error-line") || "0", 10);
    var maxBytes = parseInt(area.getAttribute("data-max-bytes") || "0", 10);
    var box = document.createElement("div");
    box.className = "editor";
    var gutter = document.createElement("div");
    gutter.className = "gutter";
    gutter.setAttribute("aria-hidden", "true");
    var body = document.createElement("div");
    body.className = "editor-body";
    var pre = document.createElement("pre");
    pre.setAttribute("aria-hidden", "true");
    var code = document.createElement("code");
    pre.appendChild(code);
    area.parentNode.insertBefore(box, area);
    box.appendChild(gutter);
    box.appendChild(body);
    body.appendChild(pre);
    body.appendChild(area);

    var lines = -1;
    function redraw() {
      highlight(area.value, code);
      var n = area.value.split("\n").length;
      if (n !== lines) {
        lines = n;
        numbers(n, errorLine, gutter);
      }
      sync();
    }
    function sync() {
      pre.scrollTop = area.scrollTop;
      pre.scrollLeft = area.scrollLeft;
      gutter.scrollTop = area.scrollTop;
    }
    area.addEventListener("input", redraw);
    area.addEventListener("scroll", sync);

    // Tab indents; Esc then Tab (or Shift+Tab) leaves the editor, so the keyboard is never trapped.
    var escaped = false;
    area.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { escaped = true; return; }
      if (e.key === "Tab" && !e.shiftKey && !escaped && !e.ctrlKey && !e.altKey && !e.metaKey) {
        e.preventDefault();
        if (!document.execCommand || !document.execCommand("insertText", false, "  ")) {
          area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
          redraw();
        }
        return;
      }
      escaped = false;
    });

    // A paste over the API's limit is refused here with the reason, before anything is sent;
    // the API refuses it too when this script does not run.
    var sizeNote = document.getElementById("code-size");
    function tooBig() {
      var n = bytes(area.value);
      if (maxBytes && n > maxBytes) {
        sizeNote.textContent = "The code is " + Math.ceil(n / 1024) + " kB; an action may have at most " +
          Math.floor(maxBytes / 1024) + " kB. Nothing was saved: shorten it first.";
        sizeNote.hidden = false;
        area.setAttribute("aria-invalid", "true");
        return true;
      }
      sizeNote.hidden = true;
      area.removeAttribute("aria-invalid");
      return false;
    }
    area.addEventListener("input", tooBig);
    if (area.form && sizeNote) {
      area.form.addEventListener("submit", function (e) {
        if (tooBig()) {
          e.preventDefault();
          area.focus();
        }
      });
    }

    redraw();
    if (errorLine > 0) {
      // Put the caret at the start of the line the compiler named, and scroll it into view.
      var at = 0;
      for (var i = 1; i < errorLine; i++) {
        at = area.value.indexOf("\n", at) + 1;
        if (at === 0) break;
      }
      area.setSelectionRange(at, at);
      var lh = parseFloat(getComputedStyle(area).lineHeight) || 20;
      area.scrollTop = Math.max(0, (errorLine - 4) * lh);
      sync();
    }
  }

  document.querySelectorAll("textarea[data-editor]").forEach(setUp);
})();
