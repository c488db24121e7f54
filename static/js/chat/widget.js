// The customer's live chat widget (issue 12, docs/chat.md): the corner "Ask OKPay" launcher opens
// the customer's one conversation — bot turns, the customer's, the agent's and system messages in
// seq order — with hand-off to a person, the queue, typing, marks, end and rating. Strings and
// addresses come from the #chat-config data block (rendered in the page's language); every text is
// put in the page with textContent. Pending messages live in sessionStorage until acknowledged.

import { api, Connection } from "./transport.js";

const STORE_KEY = "okpay.chat";
const FINAL = new Set(["closed", "abandoned", "ticket"]);
const ACK_TIMEOUT_MS = 8000;
const TYPING_EVERY_MS = 3000;
const TYPING_IDLE_MS = 4000;
const TYPING_SHOWN_MS = 6000;

function fmt(template, values) {
  return template.replace(/%\((\w+)\)s/g, (match, key) => (key in values ? String(values[key]) : match));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function clipIcon() {
  // a paperclip drawn inline (no icon font, no emoji font needed)
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [key, value] of Object.entries({
    viewBox: "0 0 24 24",
    width: "18",
    height: "18",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "2",
    "stroke-linecap": "round",
    "aria-hidden": "true",
    class: "icon",
  })) {
    svg.setAttribute(key, value);
  }
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M21 11.5 12.5 20a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5");
  svg.append(path);
  return svg;
}

function sizeText(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

function safeUrl(url) {
  // only this site's own pages (the bot's article and action links are relative)
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : null;
}

function loadStore() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE_KEY)) || {};
  } catch {
    return {};
  }
}

function saveStore(store) {
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(store));
  } catch {
    // storage full or blocked: the chat still works in this page
  }
}

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

class ChatWidget {
  constructor(config) {
    this.config = config;
    this.t = config.strings;
    this.store = loadStore();
    this.conversation = null;
    this.connection = null;
    this.lastSeq = 0;
    this.seqs = new Set();
    this.pending = new Map(); // client_id → {text, node, timer, inflight}
    this.typingSentAt = 0;
    this.typingIdle = null;
    this.typingShown = null;
    this.starting = null;
    this.build();
    this.bindOpeners();
    if (this.store.open) this.open({ focus: false });
  }

  // --- the panel ---------------------------------------------------------------------------------

  build() {
    const t = this.t;
    this.status = el("p", { class: "chat-status", "aria-live": "polite" });
    this.closeButton = el("button", { type: "button", class: "chat-close", "aria-label": t.close, text: "×" });
    this.connectionNote = el("p", { class: "chat-conn", role: "status", hidden: true });
    const hours = this.config.hours;
    const intro = hours ? fmt(t.intro_hours, { opens: hours[0], closes: hours[1] }) : t.intro_always;
    this.log = el("ol", { class: "chat-log", "aria-live": "polite", "aria-label": t.title });
    this.log.append(el("li", { class: "chat-intro", text: intro }));
    this.typingNote = el("p", { class: "chat-typing", "aria-live": "polite", hidden: true });
    this.queueBox = el("div", { class: "chat-queue", role: "status", hidden: true });
    this.ticketBox = el("div", { class: "chat-ticket", role: "status", hidden: true });
    this.errorBox = el("p", { class: "chat-error", role: "alert", hidden: true });

    this.emailInput = el("input", { type: "email", id: "chat-email", required: true, autocomplete: "email" });
    this.emailForm = el(
      "form",
      { class: "chat-email", hidden: true },
      el("p", { text: t.nobody_free }),
      el("label", { for: "chat-email", text: t.email_label }),
      this.emailInput,
      el("button", { type: "submit", class: "button button-small", text: t.email_send }),
    );

    this.transcriptInput = el("input", {
      type: "email",
      id: "chat-transcript-email",
      required: true,
      autocomplete: "email",
    });
    this.transcriptForm = el(
      "form",
      { class: "chat-transcript-form", hidden: true },
      el("label", { for: "chat-transcript-email", text: t.transcript_email_label }),
      this.transcriptInput,
      el("button", { type: "submit", class: "button button-small", text: t.transcript_send }),
    );
    this.transcriptNote = el("p", { class: "chat-transcript-note", role: "status", hidden: true });

    this.rateForm = el("form", { class: "chat-rate", hidden: true });
    const fieldset = el("fieldset", {}, el("legend", { text: t.rate_prompt }));
    const stars = el("div", { class: "chat-stars" });
    for (let score = 1; score <= 5; score += 1) {
      stars.append(
        el("button", {
          type: "button",
          class: "button button-small button-secondary",
          "data-score": score,
          "aria-label": fmt(t.rate_score, { score }),
          text: String(score),
        }),
      );
    }
    fieldset.append(stars);
    this.rateForm.append(fieldset);
    this.rateThanks = el("p", { class: "chat-thanks", role: "status", text: t.rate_thanks, hidden: true });

    this.textarea = el("textarea", {
      id: "chat-text",
      rows: 2,
      maxlength: 2000,
      placeholder: t.placeholder,
      autocomplete: "off",
    });
    this.fileInput = el("input", {
      type: "file",
      id: "chat-file",
      class: "visually-hidden",
      accept: this.config.files.accept,
      tabindex: "-1",
    });
    this.attachButton = el("button", {
      type: "button",
      class: "button button-secondary chat-attach",
      "aria-label": t.attach,
      title: fmt(t.attach_rules, { size: this.config.files.max_size }),
    });
    this.attachButton.append(clipIcon());
    this.composer = el(
      "form",
      { class: "chat-composer" },
      el("label", { for: "chat-text", class: "visually-hidden", text: t.message_label }),
      this.textarea,
      this.fileInput,
      this.attachButton,
      el("button", { type: "submit", class: "button", text: t.send }),
    );
    this.talkButton = el("button", { type: "button", class: "button button-small button-secondary", text: t.talk_to_person });
    this.endButton = el("button", { type: "button", class: "link-button chat-end", text: t.end_chat, hidden: true });
    this.newButton = el("button", { type: "button", class: "button button-small", text: t.new_chat, hidden: true });
    this.transcriptButton = el("button", {
      type: "button",
      class: "link-button chat-transcript",
      text: t.transcript,
      hidden: true,
    });
    const tools = el(
      "div",
      { class: "chat-tools" },
      this.talkButton,
      this.newButton,
      this.transcriptButton,
      this.endButton,
    );

    this.panel = el(
      "section",
      { class: "chat-panel", id: "chat-panel", role: "dialog", "aria-labelledby": "chat-title", hidden: true },
      el(
        "header",
        { class: "chat-head" },
        el("div", {}, el("h2", { id: "chat-title", text: t.title }), this.status),
        this.closeButton,
      ),
      this.connectionNote,
      this.log,
      this.typingNote,
      this.queueBox,
      this.ticketBox,
      this.errorBox,
      this.emailForm,
      this.transcriptForm,
      this.transcriptNote,
      this.rateForm,
      this.rateThanks,
      this.composer,
      tools,
    );
    document.body.append(this.panel);

    this.closeButton.addEventListener("click", () => this.hide());
    window.addEventListener("resize", () => this.scroll());
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.hide();
    });
    this.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.textarea.addEventListener("input", () => this.typed());
    this.attachButton.addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      const file = this.fileInput.files && this.fileInput.files[0];
      this.fileInput.value = "";
      if (file) this.attachFile(file);
    });
    this.talkButton.addEventListener("click", () => this.handoff());
    this.endButton.addEventListener("click", () => this.end());
    this.newButton.addEventListener("click", () => this.restart());
    this.emailForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.handoff(this.emailInput.value.trim());
    });
    this.transcriptButton.addEventListener("click", () => {
      if (this.config.signed_in) {
        this.sendTranscript("");
      } else {
        this.transcriptForm.hidden = false;
        this.transcriptInput.focus();
      }
    });
    this.transcriptForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendTranscript(this.transcriptInput.value.trim());
    });
    stars.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-score]");
      if (button) this.rate(Number(button.dataset.score));
    });
  }

  bindOpeners() {
    const launcher = document.querySelector("[data-chat-launcher]");
    if (launcher) {
      launcher.querySelector("summary").addEventListener("click", (event) => {
        event.preventDefault();
        if (this.panel.hidden) this.open();
        else this.hide();
      });
    }
    // "Chat now", the bot's hand-off and "get help with this payment" (also in answers htmx adds later)
    document.addEventListener("click", (event) => {
      const opener = event.target.closest && event.target.closest("[data-chat-open]");
      if (!opener) return;
      event.preventDefault();
      this.open({
        handoff: opener.hasAttribute("data-chat-handoff"),
        transaction: opener.dataset.chatTransaction || null,
      });
    });
  }

  async open({ handoff = false, transaction = null, focus = true } = {}) {
    this.panel.hidden = false;
    document.documentElement.classList.add("chat-open");
    this.store.open = true;
    saveStore(this.store);
    this.scroll(); // messages drawn while the panel was hidden: open at the latest one
    if (focus) this.textarea.focus({ preventScroll: true });
    if (!this.conversation || transaction) await this.startOnce(transaction);
    this.scroll();
    if (this.conversation) this.readUpTo();
    if (handoff && this.conversation && this.conversation.status === "bot") await this.handoff();
  }

  hide() {
    this.panel.hidden = true;
    document.documentElement.classList.remove("chat-open");
    this.store.open = false;
    saveStore(this.store);
    const summary = document.querySelector("[data-chat-launcher] summary");
    if (summary) summary.focus();
  }

  startOnce(transaction) {
    if (!this.starting) this.starting = this.start(transaction).finally(() => (this.starting = null));
    return this.starting;
  }

  async start(transaction) {
    this.showError("");
    try {
      if (!this.config.signed_in) await api(this.config, "POST", "guest");
      const body = { language: this.config.language };
      if (transaction) body.transaction = Number(transaction);
      let conversation;
      try {
        conversation = await api(this.config, "POST", "conversations", body);
      } catch (error) {
        if (!transaction) throw error;
        conversation = await api(this.config, "POST", "conversations", { language: this.config.language });
      }
      this.attach(conversation);
    } catch (error) {
      this.showError(error.message || this.t.error);
    }
  }

  attach(conversation) {
    if (this.conversation && this.conversation.id === conversation.id) {
      this.apply(conversation);
      return;
    }
    if (this.connection) this.connection.stop();
    this.conversation = conversation;
    if (this.store.conversation !== conversation.id) {
      this.store.conversation = conversation.id;
      this.store.pending = [];
      saveStore(this.store);
    }
    for (const item of this.store.pending || []) this.addPending(item.client_id, item.text, false);
    this.apply(conversation);
    this.connection = new Connection(this.config, conversation.id, {
      onFrame: (frame) => this.frame(frame),
      onMode: (mode) => this.mode(mode),
      onPoll: () => this.flush(),
      onGone: () => this.restart(),
      lastSeq: () => this.lastSeq,
    });
    this.connection.start();
  }

  async restart() {
    if (this.connection) this.connection.stop();
    this.connection = null;
    this.conversation = null;
    this.lastSeq = 0;
    this.seqs.clear();
    for (const item of this.pending.values()) clearTimeout(item.timer);
    this.pending.clear();
    this.store.pending = [];
    delete this.store.conversation;
    saveStore(this.store);
    for (const node of this.log.querySelectorAll("li:not(.chat-intro)")) node.remove();
    this.rateThanks.hidden = true;
    this.transcriptButton.hidden = true;
    this.transcriptForm.hidden = true;
    this.transcriptNote.hidden = true;
    await this.startOnce(null);
    this.textarea.focus();
  }

  // --- frames from the server ----------------------------------------------------------------------

  frame(frame) {
    switch (frame.type) {
      case "hello":
        this.apply(frame.conversation);
        if (!frame.http) this.flush();
        break;
      case "message":
        this.message(frame.message);
        break;
      case "ack":
        this.acked(frame.client_id, frame.seq);
        break;
      case "status":
        this.apply({ ...this.conversation, status: frame.status, agent_name: frame.agent_name, ticket: frame.ticket });
        break;
      case "queue":
        this.apply({
          ...this.conversation,
          queue_position: frame.queue_position,
          estimated_wait_seconds: frame.estimated_wait_seconds,
        });
        break;
      case "typing":
        if (frame.side === "staff") this.showTyping(frame.typing);
        break;
      case "receipt":
        if (frame.side === "staff") this.receipt(frame.seq, frame.read);
        break;
      case "error":
        this.refused(frame);
        break;
      default:
        break;
    }
  }

  mode(mode) {
    const t = this.t;
    const text = mode === "reconnecting" ? t.reconnecting : mode === "polling" ? t.polling : "";
    this.connectionNote.textContent = text;
    this.connectionNote.hidden = !text;
    this.panel.dataset.connection = mode;
  }

  message(message) {
    this.lastSeq = Math.max(this.lastSeq, message.seq);
    if (this.seqs.has(message.seq)) return;
    this.seqs.add(message.seq);
    this.transcriptButton.hidden = false;
    if (message.sender === "customer" && message.client_id && this.pending.has(message.client_id)) {
      this.dropPending(message.client_id);
    }
    const node = this.render(message);
    this.insert(node, message.seq);
    if (message.sender === "agent") {
      this.showTyping(false);
      this.readUpTo();
    }
    this.scroll();
  }

  insert(node, seq) {
    for (const other of this.log.children) {
      const otherSeq = other.dataset.seq ? Number(other.dataset.seq) : null;
      if ((otherSeq !== null && otherSeq > seq) || (otherSeq === null && other.classList.contains("chat-pending"))) {
        this.log.insertBefore(node, other);
        return;
      }
    }
    this.log.append(node);
  }

  acked(clientId, seq) {
    const item = this.pending.get(clientId);
    if (!item) return;
    if (this.seqs.has(seq) || item.file) {
      // a file is shown from the stored message (with its link), which arrives or is read back
      this.dropPending(clientId);
      return;
    }
    this.seqs.add(seq);
    item.node.classList.remove("chat-pending");
    item.node.dataset.seq = String(seq);
    this.setMark(item.node, "sent");
    this.dropPending(clientId, { keepNode: true });
    item.node.remove();
    this.insert(item.node, seq);
  }

  refused(frame) {
    if (frame.client_id && this.pending.has(frame.client_id)) {
      const item = this.pending.get(frame.client_id);
      if (frame.code === "rate_limited") {
        item.inflight = false;
        this.setMark(item.node, "failed");
        clearTimeout(item.timer);
        item.timer = setTimeout(() => this.sendPending(frame.client_id), 5000);
        return;
      }
      this.dropPending(frame.client_id, { keepNode: true });
      item.node.classList.add("chat-refused");
      this.setMark(item.node, "failed", frame.message);
    }
    if (frame.code === "finished") this.refresh();
    else this.showError(frame.message);
  }

  receipt(seq, read) {
    for (const node of this.log.querySelectorAll("li.chat-customer[data-seq]")) {
      if (Number(node.dataset.seq) <= seq) {
        const current = node.dataset.mark;
        if (read) this.setMark(node, "read");
        else if (current !== "read") this.setMark(node, "delivered");
      }
    }
  }

  // --- rendering -------------------------------------------------------------------------------------

  render(message) {
    const t = this.t;
    const sender = message.sender;
    const node = el("li", { class: `chat-msg chat-${sender}`, "data-seq": message.seq });
    if (sender === "system") {
      node.append(el("p", { text: message.text }));
      return node;
    }
    const who = sender === "customer" ? t.you : sender === "bot" ? t.bot : message.author_name || t.agent;
    node.append(el("p", { class: "chat-who", text: who }));
    const bubble = el("div", { class: "chat-bubble" });
    const file = message.file && safeUrl(message.file.url) ? message.file : null;
    if (file) {
      bubble.append(
        el(
          "p",
          { class: "chat-text chat-file" },
          el("a", { href: safeUrl(file.url), download: file.name }, clipIcon(), el("span", { text: file.name })),
          el("span", { class: "chat-file-size", text: ` (${sizeText(file.size)})` }),
        ),
      );
    } else {
      bubble.append(el("p", { class: "chat-text", text: message.text }));
    }
    node.append(bubble);
    if (sender === "bot") this.renderBot(bubble, message);
    if (sender === "customer") {
      node.append(el("p", { class: "chat-mark" }));
      this.setMark(node, message.read_at ? "read" : message.delivered_at ? "delivered" : "sent");
    }
    return node;
  }

  renderBot(bubble, message) {
    const t = this.t;
    const articleUrl = safeUrl(message.article_url);
    if (articleUrl && message.article_title) {
      bubble.append(
        el(
          "a",
          { class: "chat-card", href: articleUrl },
          el("strong", { text: message.article_title }),
          el("span", { text: t.read_article }),
        ),
      );
    }
    for (const action of message.actions || []) {
      if (action.text) bubble.append(el("p", { text: action.text }));
      if (Array.isArray(action.items) && action.items.length) {
        const list = el("ul");
        for (const item of action.items) list.append(el("li", { text: String(item) }));
        bubble.append(list);
      }
      const links = el("div", { class: "get-help" });
      for (const link of action.links || []) {
        const url = safeUrl(link.url);
        if (!url) continue;
        if (link.method === "post") {
          const form = el("form", { method: "post", action: url, class: "inline-form" });
          form.append(el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: this.config.csrf }));
          form.append(el("button", { type: "submit", class: "button button-small", text: link.label }));
          links.append(form);
        } else {
          links.append(el("a", { class: "button button-small button-secondary", href: url, text: link.label }));
        }
      }
      if (links.childElementCount) bubble.append(links);
    }
    if (!message.hand_off && Array.isArray(message.alternatives) && message.alternatives.length) {
      const list = el("ul", { class: "bot-alternatives" });
      for (const alt of message.alternatives) {
        const item = el("li", { text: alt.answer || "" });
        const url = safeUrl(alt.article_url);
        if (url && alt.article_title) {
          item.append(" ");
          item.append(el("a", { href: url, text: alt.article_title }));
        }
        list.append(item);
      }
      bubble.append(list);
    }
    if (message.hand_off) {
      const button = el("button", { type: "button", class: "button button-small chat-handoff", text: t.talk_to_person });
      button.addEventListener("click", () => this.handoff());
      bubble.append(el("div", { class: "get-help" }, button));
    }
  }

  setMark(node, mark, text) {
    const t = this.t;
    node.dataset.mark = mark;
    const label = node.querySelector(".chat-mark");
    if (!label) return;
    const texts = {
      pending: t.mark_pending,
      sent: `✓ ${t.mark_sent}`,
      delivered: `✓✓ ${t.mark_delivered}`,
      read: `✓✓ ${t.mark_read}`,
      failed: text || t.mark_failed,
    };
    label.textContent = texts[mark];
  }

  apply(conversation) {
    if (!conversation) return;
    const t = this.t;
    this.conversation = { ...this.conversation, ...conversation };
    const c = this.conversation;
    const status = c.status;
    this.panel.dataset.status = status;
    let line = "";
    if (status === "active" && c.agent_name) line = fmt(t.with_agent, { name: c.agent_name });
    this.status.textContent = line;

    this.queueBox.hidden = status !== "queued";
    if (status === "queued") {
      this.queueBox.replaceChildren();
      if (c.queue_position) {
        this.queueBox.append(el("p", { class: "chat-position", text: fmt(t.queue_position, { position: c.queue_position }) }));
      }
      const seconds = c.estimated_wait_seconds;
      const wait =
        seconds === null || seconds === undefined
          ? ""
          : seconds <= 0
            ? t.wait_soon
            : fmt(t.wait_minutes, { minutes: Math.max(1, Math.ceil(seconds / 60)) });
      if (wait) this.queueBox.append(el("p", { class: "chat-wait", text: wait }));
    }

    this.ticketBox.hidden = !((status === "ticket" && c.ticket) || status === "abandoned");
    if (status === "abandoned") {
      // nobody took the wait in time (or the customer left the queue): a question is the way on
      this.ticketBox.replaceChildren(el("p", {}, el("a", { href: this.config.question_url, text: t.submit_question })));
    }
    if (status === "ticket" && c.ticket) {
      this.ticketBox.replaceChildren(el("p", { text: fmt(t.ticket_made, { number: c.ticket }) }));
      if (this.config.signed_in) {
        const url = this.config.ticket_url.replace("NUMBER", encodeURIComponent(c.ticket));
        this.ticketBox.append(el("p", {}, el("a", { href: url, text: t.ticket_link })));
      }
      this.emailForm.hidden = true;
    }

    const final = FINAL.has(status);
    this.composer.hidden = final;
    this.talkButton.hidden = status !== "bot";
    this.endButton.hidden = !(status === "queued" || status === "active");
    this.endButton.textContent = status === "queued" ? t.leave_queue : t.end_chat;
    this.newButton.hidden = !final;
    // rated only when a person took part (the questions' CSAT is about people, not the bot)
    this.rateForm.hidden = !(status === "closed" && c.accepted_at && (c.rating === null || c.rating === undefined));
    if (status !== "bot") this.emailForm.hidden = true;
    if (final) this.showTyping(false);
    this.scroll();
  }

  showError(message) {
    this.errorBox.textContent = message || "";
    this.errorBox.hidden = !message;
  }

  showTyping(typing) {
    clearTimeout(this.typingShown);
    const name = (this.conversation && this.conversation.agent_name) || this.t.agent;
    this.typingNote.textContent = typing ? fmt(this.t.typing_agent, { name }) : "";
    this.typingNote.hidden = !typing;
    if (typing) this.typingShown = setTimeout(() => this.showTyping(false), TYPING_SHOWN_MS);
  }

  scroll() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  // --- sending ---------------------------------------------------------------------------------------

  async submit() {
    if (!this.textarea.value.trim()) return;
    if (!this.conversation) {
      // the panel is still opening (a slow network): send once the conversation is there
      if (this.awaitingStart) return;
      this.awaitingStart = true;
      try {
        await this.startOnce(null);
      } finally {
        this.awaitingStart = false;
      }
    }
    const text = this.textarea.value.trim();
    if (!text || !this.conversation || FINAL.has(this.conversation.status)) return;
    this.textarea.value = "";
    this.stopTyping();
    this.showError("");
    const clientId = newClientId();
    this.addPending(clientId, text, true);
    this.sendPending(clientId);
  }

  async attachFile(file) {
    this.showError("");
    if (!this.conversation) await this.startOnce(null);
    if (!this.conversation || FINAL.has(this.conversation.status)) return;
    const files = this.config.files;
    const extension = (file.name.match(/\.[^.]+$/) || [""])[0].toLowerCase();
    if (!files.extensions.includes(extension)) {
      this.showError(fmt(this.t.file_type, { types: files.extensions.join(", ") }));
      return;
    }
    if (file.size > files.max_bytes) {
      this.showError(fmt(this.t.file_size, { limit: files.max_size }));
      return;
    }
    const clientId = newClientId();
    this.addPending(clientId, file.name, false, file);
    this.sendPending(clientId);
  }

  addPending(clientId, text, save, file = null) {
    if (this.pending.has(clientId)) return;
    const node = el(
      "li",
      { class: "chat-msg chat-customer chat-pending", "data-client-id": clientId },
      el("p", { class: "chat-who", text: this.t.you }),
      el("div", { class: "chat-bubble" }, el("p", { class: "chat-text", text })),
      el("p", { class: "chat-mark" }),
    );
    if (file) node.classList.add("chat-file-msg");
    this.setMark(node, "pending");
    this.log.append(node);
    this.pending.set(clientId, { text, file, node, timer: null, inflight: false });
    if (save) this.savePending();
    this.scroll();
  }

  dropPending(clientId, { keepNode = false } = {}) {
    const item = this.pending.get(clientId);
    if (!item) return;
    clearTimeout(item.timer);
    if (!keepNode) item.node.remove();
    this.pending.delete(clientId);
    this.savePending();
  }

  savePending() {
    // a file cannot be kept across a reload: only texts are
    this.store.pending = Array.from(this.pending)
      .filter(([, item]) => !item.file)
      .map(([client_id, item]) => ({ client_id, text: item.text }));
    saveStore(this.store);
  }

  flush() {
    for (const clientId of this.pending.keys()) this.sendPending(clientId);
  }

  async sendPending(clientId) {
    const item = this.pending.get(clientId);
    if (!item || !this.connection || item.inflight) return;
    clearTimeout(item.timer);
    item.inflight = true;
    try {
      if (item.file) {
        await this.connection.sendFile(clientId, item.file);
        item.inflight = false;
        return;
      }
      const overSocket = await this.connection.sendMessage(clientId, item.text);
      if (overSocket) {
        // no ack in time: send it again with the same client id (the server dedupes)
        item.timer = setTimeout(() => {
          item.inflight = false;
          if (this.pending.has(clientId)) this.sendPending(clientId);
        }, ACK_TIMEOUT_MS);
        return;
      }
      item.inflight = false;
    } catch (error) {
      item.inflight = false;
      if (!this.pending.has(clientId)) return;
      if (error.status >= 400 && error.status < 500 && error.code !== "rate_limited") {
        this.refused({ client_id: clientId, code: error.code, message: error.message });
        return;
      }
      this.setMark(item.node, "failed");
      // kept: sent again after the reconnect's hello, or at the next poll
    }
  }

  typed() {
    if (!this.connection || !this.conversation || this.conversation.status !== "active") return;
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_EVERY_MS) {
      this.typingSentAt = now;
      this.connection.typing(true);
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.typingIdle);
    if (this.typingSentAt && this.connection) this.connection.typing(false);
    this.typingSentAt = 0;
  }

  readUpTo() {
    if (this.panel.hidden || !this.connection || document.visibilityState === "hidden") return;
    let seq = 0;
    for (const node of this.log.querySelectorAll("li.chat-agent[data-seq]")) seq = Math.max(seq, Number(node.dataset.seq));
    if (seq > (this.readSeq || 0)) {
      this.readSeq = seq;
      this.connection.read(seq);
    }
  }

  // --- hand-off, end, rating -----------------------------------------------------------------------

  async handoff(email) {
    if (!this.conversation) await this.startOnce(null);
    if (!this.conversation) return;
    this.showError("");
    try {
      const result = await api(
        this.config,
        "POST",
        `conversations/${this.conversation.id}/handoff`,
        email ? { email } : undefined,
      );
      this.apply(result);
      this.emailForm.hidden = true;
      this.scroll();
    } catch (error) {
      if (error.code === "email_required") {
        this.emailForm.hidden = false;
        this.talkButton.hidden = true;
        this.emailInput.focus();
      } else {
        this.showError(error.message || this.t.error);
      }
    }
  }

  async sendTranscript(email) {
    if (!this.conversation) return;
    this.showError("");
    try {
      const sent = await api(this.config, "POST", `conversations/${this.conversation.id}/transcript`, { email });
      const text = sent.sent === "transcript" ? this.t.transcript_sent : this.t.transcript_link_sent;
      this.transcriptNote.textContent = fmt(text, { email: sent.to, days: this.config.transcript_link_days });
      this.transcriptNote.hidden = false;
      this.transcriptForm.hidden = true;
      this.scroll();
    } catch (error) {
      this.showError(error.message || this.t.error);
    }
  }

  async end() {
    if (!this.conversation) return;
    try {
      this.apply(await api(this.config, "POST", `conversations/${this.conversation.id}/close`));
    } catch (error) {
      this.showError(error.message || this.t.error);
    }
  }

  async rate(score) {
    try {
      this.apply(await api(this.config, "POST", `conversations/${this.conversation.id}/rating`, { score }));
      this.rateThanks.hidden = false;
    } catch (error) {
      this.showError(error.message || this.t.error);
    }
  }

  async refresh() {
    try {
      this.apply(await api(this.config, "GET", `conversations/${this.conversation.id}`));
    } catch {
      // the next frame or poll tells
    }
  }
}

const configNode = document.getElementById("chat-config");
if (configNode && window.WebSocket && window.fetch) {
  try {
    const widget = new ChatWidget(JSON.parse(configNode.textContent));
    document.documentElement.dataset.chat = "ready";
    window.okpayChat = widget; // for debugging in the console; nothing depends on it
  } catch {
    // the corner box keeps working without the widget
  }
}
