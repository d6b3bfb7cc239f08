// FAQ forms (issue 16): filter the intent picker by title, topic and question, and the clause
// list by document and clause title. Without this script the picker is a plain list.
"use strict";
function words(text) { return text.trim().toLowerCase().split(/\s+/).filter(Boolean); }
function matches(haystack, wanted) { return wanted.every((word) => haystack.includes(word)); }

document.querySelectorAll("input[data-filter]").forEach((input) => {
  const select = document.getElementById(input.dataset.filter);
  const count = document.getElementById("intent-count");
  input.hidden = false;
  input.addEventListener("input", () => {
    const wanted = words(input.value);
    let shown = 0, first = null;
    for (const option of select.options) {
      const show = matches((option.dataset.search || option.text).toLowerCase(), wanted);
      option.hidden = !show;
      if (show) { shown += 1; first = first || option; }
    }
    if (first && (select.selectedIndex < 0 || select.options[select.selectedIndex].hidden)) first.selected = true;
    if (count) count.textContent = wanted.length ? `找到${shown}个意图` : "";
  });
});

document.querySelectorAll("input[data-filter-list]").forEach((input) => {
  const list = document.getElementById(input.dataset.filterList);
  input.hidden = false;
  input.addEventListener("input", () => {
    const wanted = words(input.value);
    for (const doc of list.querySelectorAll("details")) {
      let any = false;
      for (const label of doc.querySelectorAll("label")) {
        const show = matches(label.dataset.search.toLowerCase(), wanted);
        label.hidden = !show;
        any = any || show;
      }
      doc.hidden = !any;
      doc.open = wanted.length > 0 && any;
    }
  });
});
