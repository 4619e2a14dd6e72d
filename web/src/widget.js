/* The heavy-legs chat widget: one script tag on any page adds a chat bubble.
 *
 *   <script src="https://chat.example.org/widget.js" async
 *           data-rasa-url="https://chat.example.org"></script>
 *
 * Options (data-* attributes on the script tag, or window.HeavyLegs.init({...}) once the
 * script has loaded, with data-init="manual" on the tag): rasa-url, title, subtitle,
 * color, position (right|left), greeting, suggestions ("a|b|c"), open (true|false).
 * docs/web.md lists them with the host page's CSP sources.
 *
 * This file is the bubble only: the widget lives in a shadow root (the host's CSS
 * cannot reach it, its CSS cannot leak out), styled by launcher.css from this script's
 * origin (nothing inline, so a host CSP without 'unsafe-inline' works). The chat itself
 * (chat.js, widget.css, socket.io-client) is imported as ES modules when the runner
 * first opens it, so a closed bubble costs two small files. The only global is
 * window.HeavyLegs.
 */
(function () {
  "use strict";
  if (window.HeavyLegs && window.HeavyLegs.version) { return; } // included twice

  var script = document.currentScript;
  var BASE = new URL(".", (script && script.src) || document.baseURI).href;
  var STORE = "heavylegs.";
  var DEFAULTS = {
    rasaUrl: "",
    socketPath: "/socket.io",
    title: "Heavy legs",
    subtitle: "a chat for runners",
    color: "",
    position: "right",
    greeting: "Hi! Tell me how your legs feel on or after your runs, and I'll help you " +
      "work out why and what to do about it.",
    suggestions: ["My legs feel heavy on runs", "Sore for days after a race",
                  "Something doesn't feel right"],
    open: false
  };

  // ---- small helpers ----

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

  function storageGet(key) {
    try { return window.localStorage.getItem(STORE + key); } catch (e) { return null; }
  }

  function storageSet(key, value) {
    try {
      if (value === null) { window.localStorage.removeItem(STORE + key); }
      else { window.localStorage.setItem(STORE + key, value); }
    } catch (e) { /* full or blocked: keep going without memory */ }
  }

  function text(value, fallback, max) {
    return typeof value === "string" && value.trim() ? value.trim().slice(0, max || 200) : fallback;
  }

  function readOptions(given) {
    var o = {};
    given = given || {};
    o.rasaUrl = text(given.rasaUrl, "", 500);
    o.socketPath = text(given.socketPath, DEFAULTS.socketPath, 200);
    o.title = text(given.title, DEFAULTS.title, 60);
    o.subtitle = text(given.subtitle, given.title ? "" : DEFAULTS.subtitle, 80);
    o.greeting = text(given.greeting, DEFAULTS.greeting, 500);
    // A colour the host chose, only as a colour (it goes into a CSS custom property).
    o.color = /^(#[0-9a-f]{3,8}|(rgb|hsl)a?\([0-9.,%\s]+\)|[a-z]{3,20})$/i.test(given.color || "") ?
      given.color : "";
    o.position = given.position === "left" ? "left" : "right";
    var suggestions = given.suggestions;
    if (typeof suggestions === "string") { suggestions = suggestions.split("|"); }
    o.suggestions = !Array.isArray(suggestions) ? DEFAULTS.suggestions :
      suggestions.map(function (s) { return text(s, "", 80); }).filter(Boolean).slice(0, 4);
    o.open = given.open === true || given.open === "true" || given.open === "";
    return o;
  }

  // ---- the bubble ----

  function Bubble(options) {
    var self = this;
    var o = readOptions(options);
    var host = document.createElement("heavy-legs-chat");
    // Hidden until its stylesheet has loaded (a CSSOM change, allowed under any CSP).
    host.style.setProperty("display", "none", "important");
    if (o.color) { host.style.setProperty("--heavylegs-color", o.color); }
    var shadow = host.attachShadow({ mode: "open" });
    var sheet = attrs(make("link"), { rel: "stylesheet", href: BASE + "launcher.css" });
    sheet.addEventListener("load", function () { host.style.removeProperty("display"); });
    var root = make("div", "root pos-" + o.position);
    var launcher = attrs(make("button", "launcher"), {
      type: "button", "aria-label": "Open the chat: " + o.title, "aria-expanded": "false",
      "aria-controls": "panel"
    });
    var svg = "http://www.w3.org/2000/svg";
    var bubble = attrs(document.createElementNS(svg, "svg"), {
      viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false"
    });
    bubble.appendChild(attrs(document.createElementNS(svg, "path"), {
      d: "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"
    }));
    launcher.appendChild(bubble);
    launcher.appendChild(make("span", "launcher-text", "Chat"));
    root.appendChild(launcher);
    shadow.appendChild(sheet);
    shadow.appendChild(root);
    launcher.addEventListener("click", function () { self.setOpen(true); });

    this.o = o;
    this.base = BASE;
    this.storage = { get: storageGet, set: storageSet }; // chat.js keeps its state here too
    this.host = host;
    this.shadow = shadow;
    this.root = root;
    this.launcher = launcher;
    this.chat = null;
    document.body.appendChild(host);
    // Open on load when the host asks for it, or when the runner left it open.
    if (o.open || storageGet("open") === "1") { this.setOpen(true, true); }
  }

  Bubble.prototype.setOpen = function (open, quietly) {
    var self = this;
    this.isOpen = open;
    this.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    this.host.setAttribute("data-open", open ? "true" : "false");
    storageSet("open", open ? "1" : "0");
    if (open) {
      this.load().then(function (chat) {
        if (self.isOpen) { chat.show(quietly); }
      }, function () {
        // The chat's files could not be loaded (the server is down, or this site is
        // not on its allow-list): say so on the bubble; a click tries again.
        self.setOpen(false, true);
        self.launcher.setAttribute("aria-label", "The chat could not be loaded. Try again");
        self.launcher.title = "The chat could not be loaded";
      });
    } else {
      if (this.chat) { this.chat.hide(); }
      if (!quietly) { this.launcher.focus(); }
    }
  };

  Bubble.prototype.load = function () {
    var self = this;
    if (!this.loading) {
      this.loading = import(BASE + "chat.js").then(function (module) {
        self.chat = module.mount(self);
        self.launcher.setAttribute("aria-label", "Open the chat: " + self.o.title);
        self.launcher.removeAttribute("title");
        return self.chat;
      });
      this.loading.catch(function () { self.loading = null; });
    }
    return this.loading;
  };

  Bubble.prototype.destroy = function () {
    this.isOpen = false;
    if (this.chat) { this.chat.destroy(); }
    this.host.remove();
  };

  // ---- the one global ----

  var current = null;
  window.HeavyLegs = {
    version: "1",
    init: function (options) {
      if (current) { current.destroy(); }
      current = new Bubble(options);
      return window.HeavyLegs;
    },
    open: function () { if (current) { current.setOpen(true); } },
    close: function () { if (current) { current.setOpen(false); } },
    destroy: function () { if (current) { current.destroy(); current = null; } }
  };

  if (script && script.getAttribute("data-init") !== "manual") {
    var ds = script.dataset;
    var options = {
      rasaUrl: ds.rasaUrl, socketPath: ds.socketPath, title: ds.title, subtitle: ds.subtitle,
      color: ds.color, position: ds.position, greeting: ds.greeting,
      suggestions: ds.suggestions, open: ds.open
    };
    if (document.body) { window.HeavyLegs.init(options); }
    else {
      document.addEventListener("DOMContentLoaded", function () {
        window.HeavyLegs.init(options);
      });
    }
  }
}());
