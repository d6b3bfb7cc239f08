// The web chat: one session id per browser, text or button in, replies with buttons out.
// Texts are inserted with textContent only, never as HTML.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var send = document.getElementById("send");
  var menu = document.getElementById("menu");
  var subscribe = document.getElementById("subscribe");
  var busy = false;
  var HISTORY = "cbec-chat-history";

  function newSession() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var session = localStorage.getItem("cbec-session");
  if (!session || !/^[A-Za-z0-9_-]{8,64}$/.test(session)) {
    session = newSession();
    localStorage.setItem("cbec-session", session);
  }

  var history = [];
  try { history = JSON.parse(sessionStorage.getItem(HISTORY) || "[]"); } catch (e) { history = []; }
  function save() {
    try { sessionStorage.setItem(HISTORY, JSON.stringify(history)); } catch (e) { /* full or private mode */ }
  }
  function remember(entry) {
    history.push(entry);
    history = history.slice(-60);
    save();
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // A new reply: show its START. If the user's question and the whole reply fit on the screen,
  // the question stays in view above it; a long reply is read from its first line down.
  function scrollToReply(first) {
    if (!first) return;
    var logTop = log.getBoundingClientRect().top;
    var top = function (el) { return el.getBoundingClientRect().top - logTop + log.scrollTop; };
    var target = top(first) - 8;
    var asked = first.previousElementSibling;
    if (asked && asked.classList.contains("me")) {
      var end = log.lastElementChild.getBoundingClientRect().bottom - logTop + log.scrollTop;
      if (end - top(asked) + 16 <= log.clientHeight) target = top(asked) - 8;
    }
    log.scrollTop = Math.max(0, target);
  }

  // Lines as they are written; 「• 」 lines as a list; the basis line quieter.
  function bubble(text, who) {
    var box = document.createElement(who === "me" ? "p" : "div");
    box.className = "msg " + who;
    if (who === "me") {
      box.textContent = text;
    } else {
      String(text).replace(/\r\n?/g, "\n").split("\n").forEach(function (line) {
        var row = document.createElement("div");
        if (/^\s*[•·]\s/.test(line)) row.className = "li";
        else if (/^依据[：:]/.test(line)) row.className = "basis";
        else if (!line.trim()) row.className = "gap";
        row.textContent = line;
        box.appendChild(row);
      });
    }
    log.appendChild(box);
    return box;
  }

  // Buttons that stay usable under older replies: the clause text, the rest of a long reply.
  function lasting(value) { return /^(src|more):/.test(value); }
  function isFeedback(value) { return /^fb:/.test(value); }

  // A question typed or a button that moves the conversation on: the buttons of earlier replies
  // no longer apply (a 「四川呢」 would be read against the new topic), so they are disabled.
  function closeEarlier() {
    log.querySelectorAll(".buttons button").forEach(function (button) {
      if (!lasting(button.dataset.value)) button.disabled = true;
    });
  }

  function buttons(list, live, entry) {
    if (!list || !list.length) return;
    var row = document.createElement("div");
    row.className = "buttons";
    var votes = document.createElement("div");
    votes.className = "buttons feedback";
    list.forEach(function (b) {
      var feedback = isFeedback(b.value);
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.label;
      button.dataset.value = b.value;
      button.disabled = !(live || lasting(b.value)) || (feedback && entry && entry.voted);
      if (lasting(b.value)) button.className = "lasting";
      button.addEventListener("click", function () {
        if (busy) return;
        if (feedback) {  // one vote per answer; the rest of the reply stays usable
          votes.querySelectorAll("button").forEach(function (other) { other.disabled = true; });
          button.classList.add("chosen");
          if (entry) { entry.voted = true; save(); }
          post({ button: b.value }, b.label, false);
        } else {
          post({ button: b.value }, b.label, !lasting(b.value));
        }
      });
      (feedback ? votes : row).appendChild(button);
    });
    if (row.childNodes.length) log.appendChild(row);
    if (votes.childNodes.length) log.appendChild(votes);
  }

  function showReplies(replies, live) {
    var first = null;
    replies.forEach(function (reply) {
      var entry = { who: "bot", text: reply.text, buttons: reply.buttons || [] };
      var shown = bubble(reply.text, "bot");
      first = first || shown;
      remember(entry);
      buttons(reply.buttons, live, entry);
    });
    scrollToReply(first);
  }

  function setBusy(value) {
    busy = value;
    send.disabled = value;
    var typing = document.getElementById("typing");
    if (value && !typing) {
      typing = document.createElement("p");
      typing.id = "typing";
      typing.className = "typing";
      typing.textContent = "助手正在输入…";
      log.appendChild(typing);
      scrollDown();
    } else if (!value && typing) {
      typing.remove();
    }
  }

  // closes: whether this message moves the conversation on (see closeEarlier).
  function post(payload, shown, closes) {
    if (closes) closeEarlier();
    if (shown) {
      bubble(shown, "me");
      remember({ who: "me", text: shown, closes: !!closes });
    }
    payload.session = session;
    setBusy(true);
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    })
      .then(function (response) {
        if (!response.ok && response.status !== 429) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { setBusy(false); showReplies(data.replies || [], true); })
      .catch(function () {
        setBusy(false);
        scrollToReply(bubble("网络不稳定，消息没有发出。请稍后重试。", "bot error"));
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    input.style.height = "";
    post({ text: text }, text, true);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  input.addEventListener("input", function () {
    input.style.height = "";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  });
  menu.addEventListener("click", function () { if (!busy) post({ button: "menu" }, "菜单", true); });
  // 订阅更新: topics or regions for this browser's session; digests arrive on the next visit (poll)
  subscribe.addEventListener("click", function () { if (!busy) post({ button: "sub:menu" }, "订阅更新", true); });

  // Messages staff send later (a hand-off being answered): asked for every 2 s while the page is
  // shown, and at once when it opens (a reply written while it was closed).
  function poll() {
    if (document.hidden || busy) return;
    fetch("/api/chat/poll", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session: session }),
    })
      .then(function (response) { return response.ok ? response.json() : { replies: [] }; })
      .then(function (data) { if (data.replies && data.replies.length) showReplies(data.replies, true); })
      .catch(function () { /* try again later */ });
  }
  setInterval(poll, 2000);
  document.addEventListener("visibilitychange", poll);

  if (history.length) {
    // A reply's buttons are live until the user moved on (typed, or pressed a button that closes).
    var lastClose = -1;
    history.forEach(function (entry, index) { if (entry.who === "me" && entry.closes !== false) lastClose = index; });
    var lastBot = null;
    history.forEach(function (entry, index) {
      var shown = bubble(entry.text, entry.who);
      if (entry.who === "bot") {
        if (index > lastClose) lastBot = lastBot || shown;
        buttons(entry.buttons, index > lastClose, entry);
      }
    });
    if (lastBot) scrollToReply(lastBot); else scrollDown();
    poll();
  } else {
    post({ text: "/start" });
  }
})();
