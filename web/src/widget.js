/* Chat widget for the heavy-legs assistant: talks to Rasa's socket.io channel.
 *
 * - Everything the runner or the bot says is shown with textContent, never as HTML.
 * - The session id, its token and the transcript are kept in localStorage, so a
 *   reload shows the conversation again and carries on in the same Rasa
 *   conversation (session_request with the stored session_id and session_token;
 *   Rasa's session_persistence). The server issues both (bot/web/channel.py,
 *   bot/security/session_ids.py): the token proves the conversation, and every
 *   message carries it. An id without a valid token gets a new conversation.
 * - A bot message whose response metadata says {escalation: emergency|urgent|
 *   see_professional} is shown as a warning card; {notice: disclaimer} as a notice.
 *   (The metadata comes from domain.yml through bot.web.channel.SocketIOInput.)
 */
(function () {
  "use strict";

  var STORE_SESSION = "heavylegs.session_id";
  var STORE_TOKEN = "heavylegs.session_token";
  var STORE_TRANSCRIPT = "heavylegs.transcript";
  var MAX_TRANSCRIPT = 300;
  var MAX_MESSAGE_CHARS = 2000;
  var TYPING_GRACE_MS = 900; // keep the indicator this long after each bot message
  var TYPING_GIVE_UP_MS = 30000;
  var ESCALATIONS = {
    emergency: "Emergency: call for help now",
    urgent: "Get medical care today",
    see_professional: "See a health professional"
  };

  var el = {
    chat: document.getElementById("chat"),
    log: document.getElementById("log"),
    replies: document.getElementById("replies"),
    typing: document.getElementById("typing"),
    connection: document.getElementById("connection"),
    form: document.getElementById("composer"),
    input: document.getElementById("message"),
    send: document.getElementById("send"),
    newChat: document.getElementById("new-chat"),
    alert: null
  };

  var config = null;
  var socket = null;
  var sessionId = null;
  var sessionToken = null;
  var transcript = [];
  var connected = false;
  var everConnected = false;
  var typingHide = null;
  var typingGiveUp = null;
  var connectionHide = null;
  var turnEscalation = null; // first escalation card of the current turn

  // ---- storage (the page still works, without memory, when storage is blocked) ----

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function storageSet(key, value) {
    try {
      if (value === null) { window.localStorage.removeItem(key); }
      else { window.localStorage.setItem(key, value); }
    } catch (e) { /* full or blocked: keep going without memory */ }
  }

  function cleanReplies(list) {
    if (!Array.isArray(list)) { return []; }
    return list.filter(function (r) {
      return r && typeof r.title === "string" && typeof r.payload === "string";
    }).map(function (r) { return { title: r.title, payload: r.payload }; });
  }

  function cleanMetadata(metadata) {
    var out = {};
    if (metadata && typeof metadata === "object") {
      if (Object.prototype.hasOwnProperty.call(ESCALATIONS, metadata.escalation)) {
        out.escalation = metadata.escalation;
      }
      if (metadata.notice === "disclaimer") { out.notice = "disclaimer"; }
      if (metadata.summary === true) { out.summary = true; }
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

  function loadTranscript() {
    var raw = storageGet(STORE_TRANSCRIPT);
    if (!raw) { return []; }
    try {
      var parsed = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed.map(cleanEntry).filter(Boolean) : [];
    } catch (e) {
      return [];
    }
  }

  function saveTranscript() {
    if (transcript.length > MAX_TRANSCRIPT) {
      transcript = transcript.slice(transcript.length - MAX_TRANSCRIPT);
    }
    storageSet(STORE_TRANSCRIPT, JSON.stringify(transcript));
  }

  // ---- rendering (textContent only) ----

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function renderEntry(entry) {
    var item = make("li", "msg msg-" + entry.from);
    var who = entry.from === "user" ? "You said: " : "Assistant: ";
    var level = entry.metadata.escalation;
    if (entry.from === "bot" && level) {
      item.classList.add("escalation", "escalation-" + level);
      item.appendChild(make("span", "visually-hidden", who));
      item.appendChild(make("strong", "escalation-title", ESCALATIONS[level]));
    } else if (entry.from === "bot" && entry.metadata.notice === "disclaimer") {
      item.classList.add("notice-msg");
      item.appendChild(make("span", "visually-hidden", who));
    } else {
      item.appendChild(make("span", "visually-hidden", who));
    }
    item.appendChild(make("p", "msg-text", entry.text));
    if (entry.from === "bot" && entry.metadata.summary) {
      // The summary to share with a physio or GP: print it, or save it as a PDF
      // from the print dialog. Only this message is printed (see widget.css).
      item.classList.add("summary-msg");
      var print = make("button", "summary-print", "Print or save this summary");
      print.type = "button";
      print.setAttribute("aria-label", "Print or save this summary as a PDF");
      print.addEventListener("click", function () {
        var previous = document.querySelectorAll(".print-target");
        Array.prototype.forEach.call(previous, function (node) {
          node.classList.remove("print-target");
        });
        item.classList.add("print-target");
        document.body.classList.add("printing-summary");
        window.print();
      });
      item.appendChild(print);
    }
    el.log.appendChild(item);
    return item;
  }

  function clearReplies() {
    el.replies.textContent = "";
    el.replies.hidden = true;
  }

  // question: the token of the bot message the replies came with; sent back with a
  // click so that it can only answer that question (bot/dialogue/button_answers.py).
  function showReplies(replies, question) {
    clearReplies();
    if (!replies.length) { return; }
    replies.forEach(function (reply) {
      var button = make("button", "reply", reply.title);
      button.type = "button";
      button.disabled = !connected;
      button.addEventListener("click", function () {
        if (send(reply.payload, reply.title, question)) { el.input.focus(); }
      });
      el.replies.appendChild(button);
    });
    el.replies.hidden = false;
  }

  function scrollToLatest() {
    if (turnEscalation) {
      // The advice comes first: keep the top of the escalation card in view.
      el.chat.scrollTop = Math.max(0, turnEscalation.offsetTop - el.chat.offsetTop - 8);
    } else {
      el.chat.scrollTop = el.chat.scrollHeight;
    }
  }

  function announce(text) {
    if (!el.alert) {
      el.alert = make("div", "visually-hidden");
      el.alert.setAttribute("role", "alert");
      document.body.appendChild(el.alert);
    }
    el.alert.textContent = "";
    window.setTimeout(function () { el.alert.textContent = text; }, 50);
  }

  function restore() {
    el.log.textContent = "";
    transcript.forEach(renderEntry);
    var last = transcript[transcript.length - 1];
    if (last && last.from === "bot") {
      showReplies(last.quick_replies, last.question);
    } else {
      clearReplies();
    }
    scrollToLatest();
  }

  // ---- typing indicator ----

  function showTyping() {
    window.clearTimeout(typingHide);
    window.clearTimeout(typingGiveUp);
    el.typing.hidden = false;
    typingGiveUp = window.setTimeout(hideTyping, TYPING_GIVE_UP_MS);
    scrollToLatest();
  }

  function hideTyping() {
    window.clearTimeout(typingHide);
    window.clearTimeout(typingGiveUp);
    el.typing.hidden = true;
  }

  function botIsStillTalking() {
    if (el.typing.hidden) { return; }
    window.clearTimeout(typingHide);
    typingHide = window.setTimeout(hideTyping, TYPING_GRACE_MS);
  }

  // ---- connection state ----

  function setConnection(state) {
    var texts = {
      connecting: "Connecting to the assistant…",
      unreachable: "Can't reach the assistant right now. Trying again…",
      lost: "Connection to the assistant lost. Reconnecting… " +
            "Your conversation is kept on this device.",
      reconnected: "Reconnected. You can carry on where you left off.",
      noconfig: "The chat could not start (settings missing). Please reload the page."
    };
    window.clearTimeout(connectionHide);
    el.connection.className = "connection connection-" + state;
    if (state === "connected") {
      el.connection.textContent = "";
      el.connection.hidden = true;
    } else {
      el.connection.textContent = texts[state];
      el.connection.hidden = false;
    }
    if (state === "reconnected") {
      connectionHide = window.setTimeout(function () { setConnection("connected"); }, 4000);
    }
    el.send.disabled = !connected;
    Array.prototype.forEach.call(el.replies.querySelectorAll("button"), function (button) {
      button.disabled = !connected;
    });
    el.chat.setAttribute("aria-busy", connected ? "false" : "true");
  }

  // ---- talking ----

  function send(payload, shown, question) {
    if (!connected || !socket || !sessionId) {
      el.connection.hidden = false;
      return false;
    }
    var entry = cleanEntry({ from: "user", text: shown });
    transcript.push(entry);
    saveTranscript();
    clearReplies();
    turnEscalation = null;
    renderEntry(entry);
    var data = { message: payload, session_id: sessionId, session_token: sessionToken };
    if (question) { data.metadata = { answer_to: question }; }
    socket.emit(config.userMessageEvent, data);
    showTyping();
    return true;
  }

  function receive(message) {
    if (!message || typeof message.text !== "string" || !message.text.trim()) { return; }
    var entry = cleanEntry({
      from: "bot",
      text: message.text,
      quick_replies: message.quick_replies,
      question: message.question,
      metadata: message.metadata
    });
    transcript.push(entry);
    saveTranscript();
    var item = renderEntry(entry);
    if (entry.metadata.escalation && !turnEscalation) {
      turnEscalation = item;
      announce(ESCALATIONS[entry.metadata.escalation]);
    }
    showReplies(entry.quick_replies, entry.question);
    botIsStillTalking();
    scrollToLatest();
  }

  function startNewConversation() {
    sessionId = null;
    sessionToken = null;
    transcript = [];
    storageSet(STORE_SESSION, null);
    storageSet(STORE_TOKEN, null);
    storageSet(STORE_TRANSCRIPT, null);
    turnEscalation = null;
    hideTyping();
    restore();
    if (socket) {
      // A fresh socket leaves the old conversation's room behind.
      connected = false;
      everConnected = false; // a new conversation is not a reconnection
      setConnection("connecting");
      socket.disconnect();
      socket.connect();
    }
    el.input.focus();
  }

  function connect() {
    /* global io */
    socket = io(config.socketUrl, {
      path: config.socketPath,
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000
    });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: sessionId, session_token: sessionToken });
    });
    socket.on("session_confirm", function (confirmed) {
      // {session_id, session_token}: the token is renewed on every confirmation.
      var id = confirmed && typeof confirmed.session_id === "string" ? confirmed.session_id : null;
      var token = confirmed && typeof confirmed.session_token === "string" ?
        confirmed.session_token : null;
      if (!id || !token) { return; }
      if (id !== sessionId) {
        // A conversation we have no record of (or ours could not be proven, e.g. its
        // token expired): start the transcript afresh.
        sessionId = id;
        storageSet(STORE_SESSION, id);
        if (transcript.length) { transcript = []; saveTranscript(); restore(); }
      }
      sessionToken = token;
      storageSet(STORE_TOKEN, token);
      connected = true;
      setConnection(everConnected ? "reconnected" : "connected");
      everConnected = true;
    });
    socket.on(config.botMessageEvent, receive);
    socket.on("disconnect", function (reason) {
      connected = false;
      hideTyping();
      setConnection(reason === "io client disconnect" ? "connecting" : "lost");
    });
    socket.on("connect_error", function () {
      connected = false;
      setConnection(everConnected ? "lost" : "unreachable");
    });
  }

  // ---- start ----

  el.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = el.input.value.trim().slice(0, MAX_MESSAGE_CHARS);
    if (!text) { return; }
    if (send(text, text)) { el.input.value = ""; }
    el.input.focus();
  });
  el.newChat.addEventListener("click", startNewConversation);
  // A phone's keyboard or a rotation resizes the chat: keep the latest (or the advice) in view.
  window.addEventListener("resize", scrollToLatest);

  sessionId = storageGet(STORE_SESSION);
  sessionToken = storageGet(STORE_TOKEN);
  transcript = loadTranscript();
  restore();
  setConnection("connecting");

  fetch("config.json", { cache: "no-store" })
    .then(function (response) {
      if (!response.ok) { throw new Error("config " + response.status); }
      return response.json();
    })
    .then(function (loaded) {
      config = loaded;
      connect();
    })
    .catch(function () { setConnection("noconfig"); });
}());
