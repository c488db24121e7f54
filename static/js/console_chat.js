// Live chat in the console: the inbox (live list, alerts), one conversation (live stream, reply with
// retries, typing, saved replies, agent assist) and the supervisor's dashboard. Plain ES module over
// the ws/chat/ websocket (docs/chat.md); when it cannot connect, the pages poll. Every text from the
// server is put in with textContent. The pages work without this file (forms and reloads).

const WS_URL = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/chat/`;

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// A websocket that reconnects (1 s, 2 s … 30 s) and says when it is open or not.
function liveSocket({ onOpen, onFrame, onState }) {
  let socket = null;
  let delay = 1000;
  let stopped = false;
  const connect = () => {
    if (stopped || !("WebSocket" in window)) return onState(false);
    try {
      socket = new WebSocket(WS_URL);
    } catch {
      onState(false);
      return;
    }
    socket.addEventListener("open", () => {
      delay = 1000;
      onState(true);
      onOpen(socket);
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      onFrame(frame, socket);
    });
    socket.addEventListener("close", () => {
      onState(false);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
  return {
    send(frame) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(frame));
        return true;
      }
      return false;
    },
    get open() {
      return Boolean(socket && socket.readyState === WebSocket.OPEN);
    },
    stop() {
      stopped = true;
      if (socket) socket.close();
    },
  };
}

// Poll `task` every `seconds` while `shouldPoll()` says so (the websocket is not open).
function poller(task, seconds, shouldPoll) {
  const tick = async () => {
    if (shouldPoll() && document.visibilityState !== "hidden") {
      try {
        await task();
      } catch {
        /* the next tick tries again */
      }
    }
    setTimeout(tick, seconds * 1000);
  };
  setTimeout(tick, seconds * 1000);
}

// --- alerts: a desktop notification (asked for on a click) and a short sound -------------------

let audio = null;

function beep() {
  try {
    audio = audio || new AudioContext();
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.3);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.3);
  } catch {
    /* no sound: the list still shows it */
  }
}

function alertNewChat(title, body, tag) {
  beep();
  if ("Notification" in window && Notification.permission === "granted") {
    try {
      const notification = new Notification(title, { body, tag });
      notification.addEventListener("click", () => {
        window.focus();
        location.href = `/console/chat/${tag}/`;
      });
    } catch {
      /* some browsers allow notifications only from a service worker */
    }
  }
}

// --- the inbox ----------------------------------------------------------------------------------

function inbox(root) {
  const texts = root.dataset;
  const liveState = document.querySelector("[data-chat-live]");
  const queuedIds = () => new Set([...root.querySelectorAll("[data-queued]")].map((row) => row.dataset.queued));
  let known = queuedIds();

  const refresh = async () => {
    const response = await fetch(root.dataset.partialUrl, { headers: { "X-Requested-With": "fetch" } });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    root.replaceChildren(...[...doc.body.childNodes].map((node) => document.importNode(node, true)));
    const now = queuedIds();
    for (const id of now) {
      if (!known.has(id)) {
        const row = root.querySelector(`[data-queued="${CSS.escape(id)}"] .chat-row-who`);
        alertNewChat(texts.textNew, row ? row.textContent : "", id);
      }
    }
    known = now;
  };

  const socket = liveSocket({
    onOpen: (ws) => ws.send(JSON.stringify({ type: "inbox" })),
    onFrame: (frame) => {
      if (frame.type === "inbox" && frame.group) refresh();
    },
    onState: (open) => {
      if (liveState) liveState.textContent = open ? texts.textLive : texts.textPolling;
    },
  });
  const seconds = Number(root.dataset.refresh) || 5;
  poller(refresh, seconds, () => !socket.open);
  poller(refresh, seconds * 6, () => socket.open); // assignments to "mine" and moves elsewhere

  const button = document.querySelector("[data-chat-notify]");
  const state = document.querySelector("[data-chat-notify-state]");
  if (button) {
    button.addEventListener("click", async () => {
      audio = audio || new AudioContext(); // a click lets the page play the sound later
      if ("Notification" in window && Notification.permission !== "granted") {
        await Notification.requestPermission();
      }
      const granted = "Notification" in window && Notification.permission === "granted";
      state.textContent = granted ? texts.textOn : texts.textOff;
      beep();
    });
  }
}

// --- one conversation ---------------------------------------------------------------------------

function senderLabel(message, texts) {
  if (message.sender === "agent") return message.author_name || "";
  if (message.sender === "bot") {
    const intent = message.intent_label || message.intent;
    return texts.textBot + (intent ? ` · ${intent}` : "");
  }
  if (message.sender === "note") return texts.textNote;
  if (message.sender === "customer") return texts.textCustomer;
  return "";
}

function conversation(root) {
  const texts = root.dataset;
  const stream = root.querySelector("[data-chat-stream]");
  const typing = root.querySelector("[data-chat-typing]");
  const form = root.querySelector("[data-chat-reply]");
  const textarea = form ? form.querySelector("textarea") : null;
  const replyState = root.querySelector("[data-chat-reply-state]");
  const assistBox = root.querySelector("[data-chat-assist]");
  let lastSeq = Number(root.dataset.lastSeq) || 0;
  let typingTimer = null;

  const append = (message) => {
    if (!message || message.seq <= lastSeq || stream.querySelector(`[data-seq="${message.seq}"]`)) return false;
    const item = el("li", `chat-msg chat-msg-${message.sender}`);
    item.dataset.seq = message.seq;
    const meta = el("div", "chat-msg-meta", `${senderLabel(message, texts)} #${message.seq}`);
    if (message.file && typeof message.file.url === "string" && message.file.url.startsWith("/api/")) {
      const box = el("div", "chat-msg-text chat-file");
      const link = el("a", "", message.file.name);
      link.href = message.file.url;
      link.setAttribute("download", "");
      box.append(link);
      item.append(meta, box);
    } else {
      item.append(meta, el("div", "chat-msg-text", message.text));
    }
    if (message.article_url) {
      const link = el("a", "chat-msg-article", message.article_title || message.article_url);
      link.href = message.article_url;
      item.append(link);
    }
    stream.append(item);
    lastSeq = Math.max(lastSeq, message.seq);
    item.scrollIntoView({ block: "nearest" });
    if (message.sender === "customer") {
      typing.hidden = true;
      socket.send({ type: "read", seq: message.seq });
      loadAssist();
    }
    return true;
  };

  const catchUp = async () => {
    const response = await fetch(`${root.dataset.messagesUrl}?after=${lastSeq}`, {
      headers: { "X-Requested-With": "fetch" },
    });
    if (!response.ok) return;
    const body = await response.json();
    body.messages.forEach(append);
    if (body.status !== root.dataset.status) statusChanged(body.status);
  };

  const statusChanged = (status) => {
    if (status === root.dataset.status) return;
    root.dataset.status = status;
    if (replyState) replyState.textContent = texts.textEnded;
  };

  const socket = liveSocket({
    onOpen: (ws) => ws.send(JSON.stringify({ type: "hello", conversation: root.dataset.conversation, last_seq: lastSeq })),
    onFrame: (frame) => {
      if (frame.type === "message") append(frame.message);
      else if (frame.type === "status") statusChanged(frame.status);
      else if (frame.type === "typing" && frame.side === "customer") {
        typing.textContent = texts.textTyping;
        typing.hidden = !frame.typing;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => (typing.hidden = true), 6000);
      }
    },
    onState: () => {},
  });
  poller(catchUp, Number(root.dataset.refresh) || 5, () => !socket.open);

  // --- the reply box: send with a client id, retry with the same id until it is stored -----------
  if (form) {
    let sentTyping = 0;
    let idleTimer = null;
    textarea.addEventListener("input", () => {
      const now = Date.now();
      if (now - sentTyping > 3000) {
        sentTyping = now;
        socket.send({ type: "typing", typing: true });
      }
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        sentTyping = 0;
        socket.send({ type: "typing", typing: false });
      }, 4000);
    });

    const send = async (data, attempt = 0) => {
      let response;
      try {
        response = await fetch(form.action, {
          method: "POST",
          body: data,
          headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken() },
          credentials: "same-origin",
        });
      } catch {
        response = null;
      }
      if (response === null || response.status >= 500) {
        replyState.textContent = texts.textFailed;
        if (attempt < 8) setTimeout(() => send(data, attempt + 1), Math.min(1000 * 2 ** attempt, 15000));
        return;
      }
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        replyState.textContent = (body.error && body.error.message) || texts.textFailed;
        return;
      }
      replyState.textContent = "";
      append(body.message);
    };

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = textarea.value.trim();
      if (!text) return;
      const data = new FormData(form);
      data.set("note", event.submitter && event.submitter.value === "1" ? "1" : "0");
      data.set("text", text);
      form.querySelector("input[name=client_id]").value = newClientId(); // the next message's id
      textarea.value = "";
      replyState.textContent = texts.textSending;
      socket.send({ type: "typing", typing: false });
      send(data);
    });

    const macro = form.querySelector("[data-chat-macro]");
    if (macro) {
      macro.addEventListener("change", () => {
        const option = macro.selectedOptions[0];
        if (option && option.dataset.text) insert(option.dataset.text);
        macro.value = "";
      });
    }
  }

  function insert(text) {
    if (!textarea) return;
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? textarea.value.length;
    const before = textarea.value.slice(0, start);
    const glue = before && !before.endsWith("\n") && !before.endsWith(" ") ? "\n" : "";
    textarea.value = before + glue + text + textarea.value.slice(end);
    textarea.focus();
    textarea.dispatchEvent(new Event("input"));
  }

  // --- agent assist -----------------------------------------------------------------------------
  async function loadAssist() {
    if (!assistBox) return;
    let body;
    try {
      const response = await fetch(root.dataset.assistUrl, { headers: { "X-Requested-With": "fetch" } });
      body = await response.json();
    } catch {
      return;
    }
    const box = el("div", "chat-assist-body");
    box.dataset.chatAssistBody = "";
    const suggestion = body.suggestion;
    if (!suggestion || (!suggestion.article && !suggestion.macro)) {
      box.append(el("p", "muted", texts.textNoAssist));
    } else {
      const about = el("p", "muted chat-assist-about", `“${suggestion.message_text}”`);
      box.append(about);
      if (suggestion.intent) {
        const line = `${suggestion.intent_label || suggestion.intent} · ${texts.textConfidence} ${Math.round(suggestion.confidence * 100)}%`;
        box.append(el("p", "chat-assist-intent", suggestion.unsure ? `${line} · ${texts.textUnsure}` : line));
      }
      if (suggestion.article) {
        const card = el("div", "chat-assist-card");
        const link = el("a", "", suggestion.article.title);
        link.href = suggestion.article.url;
        link.target = "_blank";
        link.rel = "noopener";
        const button = el("button", "button button-small button-secondary", texts.textInsertLink);
        button.type = "button";
        button.addEventListener("click", () =>
          insert(`${suggestion.article.title}: ${new URL(suggestion.article.url, location.origin).href}`),
        );
        card.append(link, button);
        box.append(card);
      }
      if (suggestion.macro) {
        const card = el("div", "chat-assist-card");
        card.append(el("strong", "", suggestion.macro.title), el("p", "chat-assist-text", suggestion.macro.text));
        const button = el("button", "button button-small", texts.textInsert);
        button.type = "button";
        button.addEventListener("click", () => insert(suggestion.macro.text));
        card.append(button);
        box.append(card);
      }
    }
    const old = assistBox.querySelector("[data-chat-assist-body]");
    old.replaceWith(box);
  }
  loadAssist();
}

// --- the supervisor's dashboard -------------------------------------------------------------------

function dashboard(root) {
  const refresh = async () => {
    const response = await fetch(root.dataset.partialUrl, { headers: { "X-Requested-With": "fetch" } });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    root.replaceChildren(...[...doc.body.childNodes].map((node) => document.importNode(node, true)));
  };
  const socket = liveSocket({
    onOpen: (ws) => ws.send(JSON.stringify({ type: "inbox" })),
    onFrame: (frame) => {
      if (frame.type === "inbox" && frame.group) refresh();
    },
    onState: () => {},
  });
  const seconds = Number(root.dataset.refresh) || 10;
  poller(refresh, seconds, () => true); // waits grow and agents change even without queue events
  void socket;
}

const inboxRoot = document.querySelector("[data-chat-inbox]");
if (inboxRoot) inbox(inboxRoot);
const pageRoot = document.querySelector("[data-chat-page]");
if (pageRoot) conversation(pageRoot);
const dashboardRoot = document.querySelector("[data-chat-dashboard]");
if (dashboardRoot) dashboard(dashboardRoot);
