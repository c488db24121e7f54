// The live chat's connection (docs/chat.md, "Websocket protocol" and "the client's side of no message
// lost"): the websocket ws/chat/ with exponential backoff and `hello {last_seq}` after every reconnect;
// after three failed connections in a row, HTTP: POST to send (same client ids), GET …/messages?after=
// every 2.5 s to receive, while the websocket is tried again now and then.

const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
const FAILURES_BEFORE_HTTP = 3;
const POLL_MS = 2500;
const WS_RETRY_IN_HTTP_MS = 30000;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || String(status));
    this.status = status;
    this.code = code;
  }
}

export async function api(config, method, path, body) {
  const headers = { Accept: "application/json" };
  const form = body instanceof FormData;
  if (method !== "GET") {
    headers["X-CSRFToken"] = config.csrf;
    if (!form) headers["Content-Type"] = "application/json";
  }
  const response = await fetch(config.api + path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : form ? body : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code, error.message);
  }
  return data;
}

export class Connection {
  // handlers: onFrame(frame) for server frames (HTTP answers are turned into the same frames),
  // onMode(mode) with "live" | "reconnecting" | "polling", lastSeq() → the highest seq shown.
  constructor(config, conversationId, handlers) {
    this.config = config;
    this.conversationId = conversationId;
    this.handlers = handlers;
    this.failures = 0;
    this.mode = "connecting";
    this.ws = null;
    this.stopped = false;
    this.pollTimer = null;
    this.retryTimer = null;
    this.everOpened = false;
  }

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.pollTimer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
    }
  }

  get live() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && this.helloDone;
  }

  setMode(mode) {
    if (this.mode !== mode) {
      this.mode = mode;
      this.handlers.onMode(mode);
    }
  }

  connect() {
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${location.host}${this.config.ws}`);
    } catch {
      this.failed(false);
      return;
    }
    this.ws = ws;
    this.helloDone = false;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      ws.send(
        JSON.stringify({ type: "hello", conversation: this.conversationId, last_seq: this.handlers.lastSeq() }),
      );
    };
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "hello") {
        this.failures = 0;
        this.helloDone = true;
        clearTimeout(this.pollTimer);
        this.pollTimer = null;
        this.setMode("live");
      }
      this.handlers.onFrame(frame);
    };
    ws.onclose = (event) => {
      this.ws = null;
      this.helloDone = false;
      if (this.stopped) return;
      if (event.code === 4404 || event.code === 4401) {
        this.handlers.onGone(event.code);
        return;
      }
      this.failed(opened);
    };
  }

  failed(wasOpen) {
    this.failures = wasOpen ? 1 : this.failures + 1;
    if (this.failures >= FAILURES_BEFORE_HTTP) {
      this.setMode("polling");
      if (this.pollTimer === null) this.poll();
      this.retryTimer = setTimeout(() => this.connect(), WS_RETRY_IN_HTTP_MS);
      return;
    }
    if (this.mode !== "polling") this.setMode("reconnecting");
    const delay = BACKOFF_MS[Math.min(this.failures - 1, BACKOFF_MS.length - 1)];
    this.retryTimer = setTimeout(() => this.connect(), delay + Math.random() * 300);
  }

  async poll() {
    if (this.stopped || this.live) {
      this.pollTimer = null;
      return;
    }
    try {
      await this.fetchMissing();
      this.handlers.onPoll();
    } catch {
      // offline for now: the next tick tries again
    }
    if (!this.stopped && !this.live) this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
    else this.pollTimer = null;
  }

  async fetchMissing() {
    const base = `conversations/${this.conversationId}`;
    for (;;) {
      const page = await api(this.config, "GET", `${base}/messages?after=${this.handlers.lastSeq()}`);
      for (const message of page.messages) this.handlers.onFrame({ type: "message", message });
      const conversation = await api(this.config, "GET", base);
      this.handlers.onFrame({ type: "hello", conversation, http: true });
      if (page.messages.length < 200) return;
    }
  }

  // Sends a chat message; true when it went out over the websocket (the ack comes as a frame),
  // otherwise it is POSTed and its answer is turned into frames. Throws when it could not be sent.
  async sendMessage(clientId, text) {
    if (this.live) {
      this.ws.send(JSON.stringify({ type: "message", client_id: clientId, text }));
      return true;
    }
    if (this.mode !== "polling") throw new ApiError(0, "offline", "");
    const posted = await api(this.config, "POST", `conversations/${this.conversationId}/messages`, {
      client_id: clientId,
      text,
    });
    this.handlers.onFrame({ type: "ack", client_id: posted.client_id, seq: posted.seq, duplicate: posted.duplicate });
    // the stored message and the bot's reply are read back in seq order (so nothing before them is skipped)
    this.fetchMissing().catch(() => {});
    return false;
  }

  async sendFile(clientId, file) {
    // files always go over HTTP (multipart), with a client id like a message; over a live socket the
    // stored message arrives as a broadcast, otherwise it is read back
    const body = new FormData();
    body.append("client_id", clientId);
    body.append("file", file, file.name);
    const posted = await api(this.config, "POST", `conversations/${this.conversationId}/files`, body);
    this.handlers.onFrame({ type: "ack", client_id: posted.client_id, seq: posted.seq, duplicate: posted.duplicate });
    if (!this.live) this.fetchMissing().catch(() => {});
  }

  typing(typing) {
    if (this.live) this.ws.send(JSON.stringify({ type: "typing", typing }));
  }

  read(seq) {
    if (this.live) {
      this.ws.send(JSON.stringify({ type: "read", seq }));
    } else if (this.mode === "polling") {
      api(this.config, "POST", `conversations/${this.conversationId}/read`, { seq }).catch(() => {});
    }
  }
}
