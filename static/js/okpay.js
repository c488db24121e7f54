// Small progressive enhancements; every page works without them.
document.documentElement.classList.add("js");

// Language switcher: submit as soon as a language is picked.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

// Close the account menu when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details.account-menu[open]")) {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.account-menu[open]")) {
    menu.removeAttribute("open");
    menu.querySelector("summary").focus();
  }
});

// Forms marked data-reset-after are cleared once htmx has sent them (the bot box).
document.body.addEventListener("htmx:afterRequest", (event) => {
  const form = event.target.closest && event.target.closest("form[data-reset-after]");
  if (form && event.detail.successful) form.reset();
});

// The newest bot answer stays in view (the corner panel scrolls).
document.body.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target && (target.id === "launcher-replies" || target.id === "bot-replies") && target.lastElementChild) {
    target.lastElementChild.scrollIntoView({ block: "nearest" });
  }
});
