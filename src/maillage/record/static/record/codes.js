// The ICPC-2 search beside a code field (record/_icpc2_search.html). Choosing a rubric
// adds its code to a list of codes, or puts it in a single-code field (with its
// classification, and its title when none is typed yet), and says so to screen readers.
// Without JavaScript the search stays hidden and the code is typed.
document.querySelectorAll("[data-code-search]").forEach(function (box) {
  var target = document.getElementById(box.dataset.codeTarget);
  var search = box.querySelector("input[type=search]");
  var status = box.querySelector("[data-code-status]");
  if (!target || !search) { return; }
  box.hidden = false;
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {  // search, never submit the record's form
      event.preventDefault();
      if (window.htmx) { window.htmx.trigger(search, "search"); }
    }
  });
  box.addEventListener("click", function (event) {
    var button = event.target.closest("[data-code]");
    if (!button) { return; }
    var code = button.dataset.code;
    if (box.dataset.codeMode === "many") {
      var codes = target.value.split(/[\s,;]+/).filter(Boolean);
      if (codes.indexOf(code) === -1) { codes.push(code); }
      target.value = codes.join(", ");
    } else {
      target.value = code;
      var system = document.getElementById(box.dataset.codeSystem || "");
      if (system) { system.value = "icpc2"; }
      var title = document.getElementById(box.dataset.codeTitle || "");
      if (title && !title.value.trim()) { title.value = button.dataset.title; }
    }
    status.textContent = box.dataset.codeAdded.replace("{code}", code);
  });
});
