// The console's question page: a saved reply goes into the reply box at the cursor (no reload, the
// agent's typing kept), and what the agent typed is kept as a draft in this browser until it is sent —
// across reloads and a closed tab. Without this script the ?macro= link still fills the box.
const replyForm = document.querySelector("[data-reply-form]");
const macroForm = document.querySelector("[data-macro-form]");
const box = replyForm && replyForm.querySelector("textarea[name=body]");

if (box) {
  const key = replyForm.dataset.draftKey;
  const store = (() => {
    try {
      return window.localStorage;
    } catch {
      return null; // storage refused (private mode): no drafts, nothing breaks
    }
  })();
  if (store && key && !box.value) {
    const saved = store.getItem(key);
    if (saved) box.value = saved;
  }
  const keep = () => {
    if (!store || !key) return;
    if (box.value.trim()) store.setItem(key, box.value);
    else store.removeItem(key);
  };
  box.addEventListener("input", keep);
  replyForm.addEventListener("submit", () => {
    // sent: the server answers with the page again (an error keeps the text in the box) or the thread
    if (store && key) store.removeItem(key);
  });

  if (macroForm) {
    macroForm.addEventListener("submit", (event) => {
      const option = macroForm.querySelector("select[name=macro]")?.selectedOptions[0];
      if (!option || option.dataset.body === undefined) return; // fall back to the reload
      event.preventDefault();
      const text = option.dataset.body;
      const start = box.selectionStart ?? box.value.length;
      const end = box.selectionEnd ?? box.value.length;
      const before = box.value.slice(0, start);
      const after = box.value.slice(end);
      const gap = before && !before.endsWith("\n") ? "\n" : "";
      box.value = before + gap + text + after;
      const caret = (before + gap + text).length;
      box.focus();
      box.setSelectionRange(caret, caret);
      const status = replyForm.querySelector("select[name=status]");
      if (status && option.dataset.status && [...status.options].some((o) => o.value === option.dataset.status)) {
        status.value = option.dataset.status;
      }
      keep();
    });
  }
}
