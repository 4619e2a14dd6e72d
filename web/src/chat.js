/* The chat of the heavy-legs widget: an ES module that widget.js imports when the
 * runner first opens the chat (so a closed bubble does not download it). It builds the
 * panel in the widget's shadow root and talks to Rasa's socket.io channel.
 *
 * - Everything the runner or the bot says is shown with textContent, never as HTML.
 * - The session id, its token and the transcript are kept in localStorage (the host
 *   site's), so a reload shows the conversation again and carries on in the same
 *   Rasa conversation (session_request with the stored id and token; Rasa's
 *   session_persistence). The server issues both (bot/web/channel.py): an id without
 *   a valid token gets a new conversation.
 * - A bot message whose response metadata says {escalation: emergency|urgent|
 *   see_professional} is shown as a warning card; {summary: true} gets a "Print or
 *   save" button; {progress: {step, of}} shows where the runner is in the questions;
 *   {explanation: {intro, cards, cautions, see_label, closing}} is drawn as one card per
 *   cause (bold title, why, advice as a list, when to see someone), the closing line
 *   set apart. {notice: disclaimer} is not shown: the header says it, once.
 */
var MAX_TRANSCRIPT = 300;
var MAX_MESSAGE_CHARS = 2000;
var TYPING_GIVE_UP_MS = 30000;
var ESCALATIONS = {
  emergency: "Emergency: call for help now",
  urgent: "Get medical care today",
  see_professional: "See a health professional"
};
function make(tag, className, text) {
  var node = document.createElement(tag);
  if (className) { node.className = className; }
  if (text !== undefined) { node.textContent = text; }
  return node;
}

function attrs(node, values) {
  Object.keys(values).forEach(function (key) { node.setAttribute(key, values[key]); });
  return node;
}

function button(className, text, label) {
  var node = make("button", className, text);
  node.type = "button";
  if (label) { node.setAttribute("aria-label", label); }
  return node;
}

// An emergency or urgent card: what to do now, in one sentence in large type, then the
// rest; the emergency and helpline numbers as tap-to-call links. The text is the bot's
// own (textContent only); only the numbers become links.
var CALL_NUMBERS = /\b(999|112|911|111)\b/;

function withCallLinks(parent, text) {
  text.split(CALL_NUMBERS).forEach(function (part, i) {
    if (i % 2) {
      var link = attrs(make("a", "call", part), { href: "tel:" + part });
      link.setAttribute("aria-label", "Call " + part);
      parent.appendChild(link);
    } else if (part) {
      parent.appendChild(document.createTextNode(part));
    }
  });
  return parent;
}

function escalationText(text) {
  var p = make("p", "msg-text");
  var end = text.search(/[.!]\s/);
  var lead = end < 0 ? text : text.slice(0, end + 1);
  p.appendChild(withCallLinks(make("span", "lead"), lead));
  if (end >= 0) { p.appendChild(withCallLinks(make("span", "rest"), text.slice(end + 1))); }
  return p;
}

// "Question 3 of 6" and a thin bar (the bar is decoration: the words say it).
function progressLine(progress) {
  var line = make("p", "progress");
  line.appendChild(make("span", "progress-text",
                        "Question " + progress.step + " of " + progress.of));
  var bar = attrs(make("span", "progress-bar"), { "aria-hidden": "true" });
  var fill = make("span", "progress-fill");
  fill.style.width = Math.round(progress.step / progress.of * 100) + "%";
  bar.appendChild(fill);
  line.appendChild(bar);
  return line;
}

// The explanation: one card per cause (title, why in the runner's figures, the advice
// as a list, when to see someone), then cautions, and the closing line set apart.
function explanationCards(parts) {
  var box = make("div", "msg-text explanation");
  if (parts.intro) { box.appendChild(make("p", "explanation-intro", parts.intro)); }
  var list = make("ul", "cause-cards");
  parts.cards.forEach(function (card) {
    var item = make("li", "cause-card");
    item.appendChild(make("h3", "cause-title", card.title));
    if (card.why) { item.appendChild(make("p", "cause-why", card.why)); }
    if (card.advice.length) {
      var advice = make("ul", "cause-advice");
      card.advice.forEach(function (tip) { advice.appendChild(make("li", "", tip)); });
      item.appendChild(advice);
    }
    if (card.see) {
      var see = make("p", "cause-see");
      if (parts.see_label) { see.appendChild(make("strong", "", parts.see_label + " ")); }
      see.appendChild(document.createTextNode(card.see));
      item.appendChild(see);
    }
    list.appendChild(item);
  });
  box.appendChild(list);
  parts.cautions.forEach(function (caution) {
    box.appendChild(make("p", "explanation-caution", caution));
  });
  if (parts.comparison) { box.appendChild(make("p", "explanation-comparison", parts.comparison)); }
  if (parts.closing) { box.appendChild(make("p", "explanation-closing", parts.closing)); }
  return box;
}

// ---- transcript entries (cleaned on the way in and out of storage) ----

function cleanReplies(list) {
  if (!Array.isArray(list)) { return []; }
  return list.filter(function (r) {
    return r && typeof r.title === "string" && typeof r.payload === "string";
  }).map(function (r) { return { title: r.title, payload: r.payload }; });
}

function cleanString(value, max) {
  return typeof value === "string" ? value.slice(0, max) : "";
}

function cleanStrings(list, max, count) {
  if (!Array.isArray(list)) { return []; }
  return list.filter(function (item) { return typeof item === "string" && item; })
    .slice(0, count).map(function (item) { return item.slice(0, max); });
}

function cleanProgress(progress) {
  if (!progress || typeof progress !== "object") { return null; }
  var step = progress.step, of = progress.of;
  if (!Number.isInteger(step) || !Number.isInteger(of) || step < 1 || of < step || of > 50) {
    return null;
  }
  return { step: step, of: of };
}

function cleanExplanation(value) {
  if (!value || typeof value !== "object" || !Array.isArray(value.cards)) { return null; }
  var cards = value.cards.filter(function (card) {
    return card && typeof card.title === "string" && card.title;
  }).slice(0, 8).map(function (card) {
    return { title: card.title.slice(0, 200), why: cleanString(card.why, 2000),
             advice: cleanStrings(card.advice, 1000, 12), see: cleanString(card.see, 1000) };
  });
  if (!cards.length) { return null; }
  return { intro: cleanString(value.intro, 1000), cards: cards,
           cautions: cleanStrings(value.cautions, 2000, 6),
           see_label: cleanString(value.see_label, 100),
           comparison: cleanString(value.comparison, 2000),
           closing: cleanString(value.closing, 1000) };
}

function cleanMetadata(metadata) {
  var out = {};
  if (metadata && typeof metadata === "object") {
    if (Object.prototype.hasOwnProperty.call(ESCALATIONS, metadata.escalation)) {
      out.escalation = metadata.escalation;
    }
    if (metadata.notice === "disclaimer") { out.notice = "disclaimer"; }
    if (metadata.summary === true) { out.summary = true; }
    var progress = cleanProgress(metadata.progress);
    if (progress) { out.progress = progress; }
    var explanation = cleanExplanation(metadata.explanation);
    if (explanation) { out.explanation = explanation; }
  }
  return out;
}

function cleanEntry(entry) {
  if (!entry || (entry.from !== "user" && entry.from !== "bot") ||
      typeof entry.text !== "string") {
    return null;
  }
  return {
    from: entry.from,
    text: entry.text,
    quick_replies: cleanReplies(entry.quick_replies),
    question: typeof entry.question === "string" ? entry.question.slice(0, 32) : null,
    metadata: cleanMetadata(entry.metadata)
  };
}

function Chat(bubble) {
  var self = this;
  var o = bubble.o;
  var el = {};
  this.o = o;
  this.el = el;
  this.bubble = bubble;
  this.host = bubble.host;
  this.base = bubble.base;
  this.storage = bubble.storage; // the bubble's localStorage access (one key prefix)
  this.sheet = attrs(make("link"), { rel: "stylesheet", href: bubble.base + "widget.css" });
  this.ready = new Promise(function (resolve) {
    self.sheet.addEventListener("load", resolve);
    self.sheet.addEventListener("error", resolve);
  });
  bubble.shadow.insertBefore(this.sheet, bubble.shadow.firstChild);

  el.panel = attrs(make("section", "panel"), { id: "panel", "aria-label": o.title });
  el.panel.hidden = true;
  var top = make("header", "top");
  var row = make("div", "top-row");
  var heading = make("h2", "title", o.title);
  if (o.subtitle) { heading.appendChild(make("span", "subtitle", o.subtitle)); }
  el.newChat = attrs(button("new-chat", "New conversation"), { id: "new-chat" });
  el.close = button("close", "×", "Close the chat");
  row.appendChild(heading);
  row.appendChild(el.newChat);
  row.appendChild(el.close);
  top.appendChild(row);
  var notice = attrs(make("p", "notice"), { id: "notice", role: "note" });
  notice.appendChild(make("strong", "", "Not a diagnosis. "));
  // On a phone only the first part shows (a compact header); the emergency line stays.
  notice.appendChild(make("span", "notice-more",
    "General information about running and recovery, not medical advice. "));
  notice.appendChild(make("span", "notice-long", "In an emergency call "));
  notice.appendChild(make("span", "notice-short", "Emergency? Call "));
  notice.appendChild(document.createTextNode("999, 112 or 911."));
  top.appendChild(notice);

  el.chat = attrs(make("div", "chat"), { id: "chat", role: "region",
                                        "aria-label": "Conversation", tabindex: "0" });
  el.connection = attrs(make("div", "connection"), { id: "connection", role: "status",
                                                    "aria-live": "polite" });
  el.connection.hidden = true;
  el.welcome = attrs(make("div", "welcome"), { id: "welcome" });
  el.welcome.appendChild(make("p", "welcome-text", o.greeting));
  if (o.suggestions.length) {
    var starts = attrs(make("div", "starts"), { role: "group", "aria-label": "Ways to start" });
    o.suggestions.forEach(function (suggestion) {
      var start = button("reply start", suggestion);
      start.addEventListener("click", function () {
        if (self.send(suggestion, suggestion, null)) { el.input.focus(); }
      });
      starts.appendChild(start);
    });
    el.welcome.appendChild(starts);
  }
  // The live region is a wrapper: role=log on the <ol> itself would hide its list items.
  el.logBox = attrs(make("div", "log-box"), { role: "log", "aria-live": "polite",
                                             "aria-relevant": "additions",
                                             "aria-label": "Conversation with the assistant" });
  el.log = attrs(make("ol", "log"), { id: "log" });
  el.logBox.appendChild(el.log);
  el.typing = attrs(make("div", "typing"), { id: "typing" });
  el.typing.hidden = true;
  var dots = attrs(make("span", "dots"), { "aria-hidden": "true" });
  dots.appendChild(make("span"));
  dots.appendChild(make("span"));
  dots.appendChild(make("span"));
  el.typing.appendChild(dots);
  el.typing.appendChild(make("span", "typing-text", "The assistant is typing…"));
  el.replies = attrs(make("div", "replies"), { id: "replies", role: "group",
                                              "aria-label": "Suggested replies" });
  el.replies.hidden = true;
  [el.connection, el.welcome, el.logBox, el.typing, el.replies].forEach(function (node) {
    el.chat.appendChild(node);
  });

  el.form = attrs(make("form", "composer"), { id: "composer", autocomplete: "off" });
  var label = attrs(make("label", "visually-hidden", "Your message to the assistant"),
                    { for: "message" });
  el.input = attrs(make("input"), {
    id: "message", name: "message", type: "text", maxlength: String(MAX_MESSAGE_CHARS),
    placeholder: "Tell me how your legs feel…", enterkeyhint: "send",
    "aria-describedby": "connection"
  });
  el.send = attrs(button("", "Send", "Send message"), { id: "send" });
  el.send.type = "submit";
  el.form.appendChild(label);
  el.form.appendChild(el.input);
  el.form.appendChild(el.send);
  el.alert = attrs(make("div", "visually-hidden"), { role: "alert" });
  el.panel.appendChild(top);
  el.panel.appendChild(el.chat);
  el.panel.appendChild(el.form);
  bubble.root.insertBefore(el.panel, bubble.root.firstChild);
  bubble.root.appendChild(el.alert);

  this.socket = null;
  this.config = null;
  this.connected = false;
  this.everConnected = false;
  this.turnAnchor = null;
  this.turnEscalated = false;
  this.sessionId = this.storage.get("session_id");
  this.sessionToken = this.storage.get("session_token");
  this.transcript = this.loadTranscript();

  el.close.addEventListener("click", function () { bubble.setOpen(false); });
  el.newChat.addEventListener("click", function () { self.startNewConversation(); });
  el.panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { bubble.setOpen(false); }
  });
  el.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var message = el.input.value.trim().slice(0, MAX_MESSAGE_CHARS);
    if (!message) { return; }
    if (self.send(message, message, null)) { el.input.value = ""; }
    el.input.focus();
  });
  this.onResize = function () { self.scrollToLatest(); };
  // A phone's keyboard or a rotation resizes the chat: keep the latest in view.
  window.addEventListener("resize", this.onResize);
  this.onAfterPrint = function () { self.host.removeAttribute("data-printing"); };
  window.addEventListener("afterprint", this.onAfterPrint);

  this.restore();
  this.setConnection("connecting");
}

Chat.prototype.loadTranscript = function () {
  var raw = this.storage.get("transcript");
  if (!raw) { return []; }
  try {
    var parsed = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.map(cleanEntry).filter(Boolean) : [];
  } catch (e) {
    return [];
  }
};

Chat.prototype.saveTranscript = function () {
  if (this.transcript.length > MAX_TRANSCRIPT) {
    this.transcript = this.transcript.slice(this.transcript.length - MAX_TRANSCRIPT);
  }
  this.storage.set("transcript", JSON.stringify(this.transcript));
};

// Shown once its stylesheet is there (no flash of an unstyled panel).
Chat.prototype.show = function (quietly) {
  var self = this;
  this.ready.then(function () {
    if (self.destroyed) { return; }
    self.el.panel.hidden = false;
    self.start();
    self.scrollToLatest();
    if (!quietly) { self.el.input.focus(); }
  });
};

Chat.prototype.hide = function () {
  this.el.panel.hidden = true;
};

// ---- rendering (textContent only) ----

Chat.prototype.renderEntry = function (entry) {
  var self = this;
  if (entry.from === "bot" && entry.metadata.notice === "disclaimer") {
    // said once, in the header (always in view): not again in the conversation
    return null;
  }
  var item = make("li", "msg msg-" + entry.from);
  var who = entry.from === "user" ? "You said: " : "Assistant: ";
  var level = entry.metadata.escalation;
  item.appendChild(make("span", "visually-hidden", who));
  if (entry.from === "bot" && level) {
    item.classList.add("escalation", "escalation-" + level);
    item.appendChild(make("strong", "escalation-title", ESCALATIONS[level]));
  }
  if (entry.from === "bot" && entry.metadata.progress) {
    item.appendChild(progressLine(entry.metadata.progress));
  }
  if (entry.from === "bot" && (level === "emergency" || level === "urgent")) {
    item.appendChild(escalationText(entry.text));
  } else if (entry.from === "bot" && entry.metadata.explanation) {
    item.classList.add("explanation-msg");
    item.appendChild(explanationCards(entry.metadata.explanation));
  } else {
    item.appendChild(make("p", "msg-text", entry.text));
  }
  if (entry.from === "bot" && entry.metadata.summary) {
    // The summary to share with a physio or GP: print it, or save it as a PDF from
    // the print dialog. Only this message is printed (widget.css, print-host.css).
    item.classList.add("summary-msg");
    this.preparePrinting();
    var print = button("summary-print", "Print or save this summary",
                       "Print or save this summary as a PDF");
    print.addEventListener("click", function () {
      Array.prototype.forEach.call(self.el.log.querySelectorAll(".print-target"),
                                   function (node) { node.classList.remove("print-target"); });
      item.classList.add("print-target");
      self.host.setAttribute("data-printing", "");
      window.print();
    });
    item.appendChild(print);
    var copy = button("summary-copy", "Copy", "Copy this summary");
    copy.addEventListener("click", function () {
      var done = function (ok) {
        copy.textContent = ok ? "Copied" : "Copy failed: select the text instead";
        window.setTimeout(function () { copy.textContent = "Copy"; }, 4000);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(entry.text).then(function () { done(true); },
                                                       function () { done(false); });
      } else {
        done(false);
      }
    });
    item.appendChild(copy);
  }
  this.el.log.appendChild(item);
  this.el.welcome.hidden = true;
  return item;
};

// The host page's own content is hidden while the summary prints: a print-only
// stylesheet from the widget's origin (no inline CSS), added once a summary exists.
Chat.prototype.preparePrinting = function () {
  if (document.getElementById("heavylegs-print")) { return; }
  document.head.appendChild(attrs(make("link"), {
    id: "heavylegs-print", rel: "stylesheet", media: "print", href: this.base + "print-host.css"
  }));
};

Chat.prototype.clearReplies = function () {
  this.el.replies.textContent = "";
  this.el.replies.hidden = true;
};

// question: the token of the bot message the replies came with; sent back with a
// click so that it can only answer that question (bot/dialogue/button_answers.py).
Chat.prototype.showReplies = function (replies, question) {
  var self = this;
  this.clearReplies();
  if (!replies.length) { return; }
  replies.forEach(function (reply) {
    var node = button("reply", reply.title);
    node.disabled = !self.connected;
    node.addEventListener("click", function () {
      if (self.send(reply.payload, reply.title, question)) { self.el.input.focus(); }
    });
    self.el.replies.appendChild(node);
  });
  this.el.replies.hidden = false;
};

Chat.prototype.scrollToLatest = function () {
  var chat = this.el.chat;
  if (this.turnAnchor) {
    // The advice comes first: keep the top of the escalation card (or of a long
    // explanation) in view.
    chat.scrollTop = Math.max(0, this.turnAnchor.offsetTop - 8);
  } else {
    chat.scrollTop = chat.scrollHeight;
  }
};

Chat.prototype.announce = function (message) {
  var alert = this.el.alert;
  alert.textContent = "";
  window.setTimeout(function () { alert.textContent = message; }, 50);
};

Chat.prototype.restore = function () {
  this.el.log.textContent = "";
  this.el.welcome.hidden = this.transcript.length > 0;
  this.transcript.forEach(this.renderEntry, this);
  var last = this.transcript[this.transcript.length - 1];
  if (last && last.from === "bot") {
    this.showReplies(last.quick_replies, last.question);
  } else {
    this.clearReplies();
  }
  this.scrollToLatest();
};

// ---- typing indicator ----

Chat.prototype.showTyping = function () {
  var self = this;
  window.clearTimeout(this.typingHide);
  window.clearTimeout(this.typingGiveUp);
  this.el.typing.hidden = false;
  this.typingGiveUp = window.setTimeout(function () { self.hideTyping(); }, TYPING_GIVE_UP_MS);
  this.scrollToLatest();
};

Chat.prototype.hideTyping = function () {
  window.clearTimeout(this.typingHide);
  window.clearTimeout(this.typingGiveUp);
  this.el.typing.hidden = true;
};

// ---- connection state ----

Chat.prototype.setConnection = function (state) {
  var self = this;
  var el = this.el;
  var texts = {
    connecting: "Connecting to the assistant…",
    unreachable: "Can't reach the assistant right now. Trying again…",
    lost: "Connection to the assistant lost. Reconnecting… " +
          "Your conversation is kept on this device.",
    reconnected: "Reconnected. You can carry on where you left off.",
    noconfig: "The chat could not start (settings missing). Please reload the page."
  };
  window.clearTimeout(this.connectionHide);
  el.connection.className = "connection connection-" + state;
  if (state === "connected") {
    el.connection.textContent = "";
    el.connection.hidden = true;
  } else {
    el.connection.textContent = texts[state];
    el.connection.hidden = false;
  }
  if (state === "reconnected") {
    this.connectionHide = window.setTimeout(function () {
      self.setConnection("connected");
    }, 4000);
  }
  el.send.disabled = !this.connected;
  el.panel.querySelectorAll(".reply").forEach(function (node) {
    node.disabled = !self.connected;
  });
  el.chat.setAttribute("aria-busy", this.connected ? "false" : "true");
};

// ---- talking ----

Chat.prototype.send = function (payload, shown, question) {
  if (!this.connected || !this.socket || !this.sessionId) {
    this.el.connection.hidden = false;
    return false;
  }
  var entry = cleanEntry({ from: "user", text: shown });
  this.transcript.push(entry);
  this.saveTranscript();
  this.clearReplies();
  this.turnAnchor = null;
  this.turnEscalated = false;
  this.renderEntry(entry);
  var data = { message: payload, session_id: this.sessionId, session_token: this.sessionToken };
  if (question) { data.metadata = { answer_to: question }; }
  this.socket.emit(this.config.userMessageEvent, data);
  this.showTyping();
  return true;
};

Chat.prototype.receive = function (message) {
  if (!message || typeof message.text !== "string" || !message.text.trim()) { return; }
  var entry = cleanEntry({
    from: "bot",
    text: message.text,
    quick_replies: message.quick_replies,
    question: message.question,
    metadata: message.metadata
  });
  this.transcript.push(entry);
  this.saveTranscript();
  var item = this.renderEntry(entry);
  if (item && entry.metadata.escalation && !this.turnEscalated) {
    // the first escalation of the turn: its top stays in view, and it is announced
    this.turnAnchor = item;
    this.turnEscalated = true;
    this.announce(ESCALATIONS[entry.metadata.escalation]);
  } else if (item && entry.metadata.explanation && !this.turnAnchor) {
    // a long explanation is read from its start: keep its top in view
    this.turnAnchor = item;
  }
  this.showReplies(entry.quick_replies, entry.question);
  // The indicator stays while the turn goes on; it goes with the turn's last reply
  // (bot_turn_done, bot/web/channel.py).
  this.scrollToLatest();
};

Chat.prototype.startNewConversation = function () {
  this.sessionId = null;
  this.sessionToken = null;
  this.transcript = [];
  this.storage.set("session_id", null);
  this.storage.set("session_token", null);
  this.storage.set("transcript", null);
  this.turnAnchor = null;
  this.turnEscalated = false;
  this.hideTyping();
  this.restore();
  if (this.socket) {
    // A fresh socket leaves the old conversation's room behind.
    this.connected = false;
    this.everConnected = false; // a new conversation is not a reconnection
    this.setConnection("connecting");
    this.socket.disconnect();
    this.socket.connect();
  }
  this.el.input.focus();
};

// Where Rasa is: the rasa-url option, else config.json next to this script (the
// page server writes it). Then socket.io-client, imported as a module.
Chat.prototype.start = function () {
  var self = this;
  if (this.starting) { return; }
  this.starting = true;
  var config = this.o.rasaUrl ?
    Promise.resolve({ socketUrl: this.o.rasaUrl, socketPath: this.o.socketPath }) :
    fetch(this.base + "config.json", { cache: "no-store" }).then(function (response) {
      if (!response.ok) { throw new Error("config " + response.status); }
      return response.json();
    });
  config.then(function (loaded) {
    self.config = {
      socketUrl: loaded.socketUrl,
      socketPath: loaded.socketPath || "/socket.io",
      userMessageEvent: loaded.userMessageEvent || "user_uttered",
      botMessageEvent: loaded.botMessageEvent || "bot_uttered"
    };
    return import(self.base + "vendor/socket.io.esm.min.js");
  }).then(function (module) {
    if (!self.destroyed) { self.connect(module.io); }
  }).catch(function () {
    self.starting = false;
    self.setConnection("noconfig");
  });
};

Chat.prototype.connect = function (io) {
  var self = this;
  var socket = io(this.config.socketUrl, {
    path: this.config.socketPath,
    reconnectionDelay: 500,
    reconnectionDelayMax: 4000
  });
  this.socket = socket;
  socket.on("connect", function () {
    socket.emit("session_request", { session_id: self.sessionId,
                                     session_token: self.sessionToken });
  });
  socket.on("session_confirm", function (confirmed) {
    // {session_id, session_token}: the token is renewed on every confirmation.
    var id = confirmed && typeof confirmed.session_id === "string" ? confirmed.session_id : null;
    var token = confirmed && typeof confirmed.session_token === "string" ?
      confirmed.session_token : null;
    if (!id || !token) { return; }
    if (id !== self.sessionId) {
      // A conversation we have no record of (or ours could not be proven, e.g. its
      // token expired): start the transcript afresh.
      self.sessionId = id;
      self.storage.set("session_id", id);
      if (self.transcript.length) { self.transcript = []; self.saveTranscript(); self.restore(); }
    }
    self.sessionToken = token;
    self.storage.set("session_token", token);
    self.connected = true;
    self.setConnection(self.everConnected ? "reconnected" : "connected");
    self.everConnected = true;
  });
  socket.on(this.config.botMessageEvent, function (message) { self.receive(message); });
  socket.on("bot_turn_done", function () { self.hideTyping(); });
  socket.on("disconnect", function (reason) {
    self.connected = false;
    self.hideTyping();
    self.setConnection(reason === "io client disconnect" ? "connecting" : "lost");
  });
  socket.on("connect_error", function () {
    self.connected = false;
    self.setConnection(self.everConnected ? "lost" : "unreachable");
  });
};

Chat.prototype.destroy = function () {
  this.destroyed = true;
  if (this.socket) { this.socket.disconnect(); }
  window.removeEventListener("resize", this.onResize);
  window.removeEventListener("afterprint", this.onAfterPrint);
  this.el.panel.remove();
  this.el.alert.remove();
  this.sheet.remove();
};

/** Build the chat inside ``bubble`` (widget.js): {o, host, shadow, root, base, storage,
 * setOpen}. */
export function mount(bubble) {
  return new Chat(bubble);
}
