// The cleaning queue from the keyboard ([data-queue-keys], linkage/queue.html). The keys
// act only while the focus is on a record of the list or inside it (WCAG 2.1.4: a
// single-letter shortcut is active only where it applies), never while typing in a field:
//   J / K  next / previous record      A  accept the match      C  correct a field
//   R      not a citizen of the province (asks first)          X  tick for accepting several
// After a decision the page reloads; the first record then takes the focus again.
(function () {
  "use strict";
  var list = document.querySelector("[data-queue-keys]");
  if (!list) { return; }
  var help = document.querySelector("[data-queue-keys-help]");
  var items = Array.prototype.slice.call(list.querySelectorAll(".queue-item"));
  if (!items.length) { return; }

  function typing(target) {
    return /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) && target.type !== "checkbox";
  }

  function move(item) {
    item.focus();
    item.scrollIntoView({ block: "nearest" });
  }

  function act(item, key) {
    var i = items.indexOf(item);
    if (key === "j" && i < items.length - 1) { move(items[i + 1]); return true; }
    if (key === "k" && i > 0) { move(items[i - 1]); return true; }
    if (key === "a") { item.querySelector("[data-testid=accept]").click(); return true; }
    if (key === "c") {
      var details = item.querySelector("details.correct");
      details.open = true;
      details.querySelector("[data-testid=value]").focus();
      return true;
    }
    if (key === "r") {
      if (window.confirm(list.getAttribute("data-reject-question"))) {
        item.querySelector("[data-testid=not-in-province]").click();
      }
      return true;
    }
    if (key === "x") {
      var pick = item.querySelector("[data-testid=pick]");
      if (pick) { pick.click(); }
      return true;
    }
    return false;
  }

  list.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey || typing(e.target)) { return; }
    var item = e.target.closest(".queue-item");
    if (item && act(item, e.key.toLowerCase())) { e.preventDefault(); }
  });
  if (help) { help.hidden = false; }
  if (document.querySelector("[data-testid=done]")) { move(items[0]); }
})();
