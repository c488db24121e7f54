// The console's question page: who else has this question open, and who is typing a reply (issue 15,
// "collision notice"). Every ~5 s the page reports to its presence endpoint (console.views_tickets_collision
// .ticket_presence) — open, typing or not, and what the page showed (the reply form's seen_message and
// seen_status) — and shows the answer's texts, already in the agent's language: the other agents, and a
// note when someone replied or changed the status since the page loaded. Drafts are console_tickets.js's.
const bar = document.querySelector("[data-presence]");
const replyForm = document.querySelector("[data-reply-form]");

if (bar && replyForm) {
  const url = bar.dataset.presenceUrl;
  const box = replyForm.querySelector("textarea[name=body]");
  const live = replyForm.querySelector("[data-collision-live]");
  const field = (name) => replyForm.querySelector(`input[name=${name}]`)?.value ?? "";
  const EVERY_MS = 5000;
  const TYPING_MS = 8000; // "typing" for this long after the last key
  let lastKey = 0;
  let sentTyping = false;
  let timer = null;
  let stopped = false;

  const typing = () => Boolean(box && box.value.trim() && Date.now() - lastKey < TYPING_MS);

  const body = (extra = {}) => {
    const data = new FormData();
    data.set("csrfmiddlewaretoken", field("csrfmiddlewaretoken"));
    data.set("seen_message", field("seen_message"));
    data.set("seen_status", field("seen_status"));
    data.set("typing", typing() ? "1" : "0");
    for (const [key, value] of Object.entries(extra)) data.set(key, value);
    return data;
  };

  const show = (answer) => {
    bar.replaceChildren(
      ...answer.viewers.map((viewer) => {
        const item = document.createElement("li");
        item.className = viewer.typing ? "presence presence-typing" : "presence";
        item.textContent = viewer.text;
        return item;
      }),
    );
    bar.hidden = answer.viewers.length === 0;
    if (live) {
      live.textContent = answer.stale_text || "";
      live.hidden = !answer.stale;
    }
  };

  const report = async () => {
    if (stopped) return;
    clearTimeout(timer);
    sentTyping = typing();
    try {
      const response = await fetch(url, {
        method: "POST",
        body: body(),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.status === 403 || response.status === 404) {
        stopped = true; // signed out, or the question is gone: nothing more to report
        return;
      }
      if (response.ok) show(await response.json());
    } catch {
      // offline for a moment: the next report tries again
    }
    clearTimeout(timer); // one schedule even when a typing report overlapped this one
    if (!stopped) timer = setTimeout(report, EVERY_MS);
  };

  if (box) {
    box.addEventListener("input", () => {
      lastKey = Date.now();
      if (!sentTyping && typing()) report(); // the others see "typing" at once, not up to 5 s later
    });
  }
  window.addEventListener("pagehide", () => {
    stopped = true;
    clearTimeout(timer);
    navigator.sendBeacon?.(url, body({ leave: "1" }));
  });
  report();
}
