// The web chat: one session id per browser, text or button in, replies with buttons out.
// Texts are inserted with textContent only, never as HTML.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var send = document.getElementById("send");
  var menu = document.getElementById("menu");
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
  function remember(entry) {
    history.push(entry);
    history = history.slice(-60);
    try { sessionStorage.setItem(HISTORY, JSON.stringify(history)); } catch (e) { /* full or private mode */ }
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function bubble(text, who) {
    var p = document.createElement("p");
    p.className = "msg " + who;
    p.textContent = text;
    log.appendChild(p);
    return p;
  }

  function buttons(list, live) {
    if (!list || !list.length) return;
    var row = document.createElement("div");
    row.className = "buttons";
    list.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.label;
      button.dataset.value = b.value;
      button.disabled = !live;
      button.addEventListener("click", function () {
        if (busy) return;
        row.querySelectorAll("button").forEach(function (other) { other.disabled = true; });
        post({ button: b.value }, b.label);
      });
      row.appendChild(button);
    });
    log.appendChild(row);
  }

  function showReplies(replies, live) {
    replies.forEach(function (reply) {
      bubble(reply.text, "bot");
      buttons(reply.buttons, live);
      remember({ who: "bot", text: reply.text, buttons: reply.buttons || [] });
    });
    scrollDown();
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

  function post(payload, shown) {
    if (shown) {
      bubble(shown, "me");
      remember({ who: "me", text: shown });
    }
    payload.session = session;
    setBusy(true);
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { setBusy(false); showReplies(data.replies || [], true); })
      .catch(function () {
        setBusy(false);
        bubble("网络不稳定,消息没有发出。请稍后重试。", "bot error");
        scrollDown();
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    input.style.height = "";
    post({ text: text }, text);
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
  menu.addEventListener("click", function () { if (!busy) post({ button: "menu" }, "菜单"); });

  // Messages staff send later (a hand-off being answered).
  setInterval(function () {
    if (document.hidden || busy) return;
    fetch("/api/chat/poll", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session: session }),
    })
      .then(function (response) { return response.ok ? response.json() : { replies: [] }; })
      .then(function (data) { if (data.replies && data.replies.length) showReplies(data.replies, true); })
      .catch(function () { /* try again later */ });
  }, 15000);

  if (history.length) {
    history.forEach(function (entry, index) {
      bubble(entry.text, entry.who);
      if (entry.who === "bot") buttons(entry.buttons, index === history.length - 1);
    });
    scrollDown();
  } else {
    post({ text: "/start" });
  }
})();
