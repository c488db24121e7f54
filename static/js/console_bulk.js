// The questions queue's bulk bar (console/tickets.html): "select all on this page" ticks every row and
// a row unticked clears it; the count of selected questions is announced. Without this script the form
// still works: "all" ticked sends the page's questions, otherwise the ticked rows.
const form = document.querySelector("[data-bulk-form]");
if (form) {
  const all = form.querySelector("[data-bulk-all]");
  const rows = [...form.querySelectorAll("[data-bulk-row]")];
  const count = form.querySelector("[data-bulk-count]");
  const template = count?.dataset.template || "{n}";
  const update = () => {
    const n = rows.filter((row) => row.checked).length;
    if (count) count.textContent = n ? template.replace("{n}", n) : "";
  };
  all?.addEventListener("change", () => {
    rows.forEach((row) => { row.checked = all.checked; });
    update();
  });
  rows.forEach((row) => row.addEventListener("change", () => {
    if (all) all.checked = rows.every((r) => r.checked);
    update();
  }));
  update();
}
