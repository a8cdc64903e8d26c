/* Guanxi live chat: embed with
 *   <script src="https://guanxi.example.com/static/js/guanxi-chat.js" defer></script>
 * Optional attributes on the tag: data-title, data-placeholder, data-lang ("zh-CN" | "en").
 * The visitor token lives in localStorage; replies arrive by server-sent events (long-poll as fallback).
 */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || window.__guanxiChat) return;
  window.__guanxiChat = true;
  var base = new URL(me.src, location.href).origin + "/api/v1/chat";
  var zh = (me.dataset.lang || navigator.language || "").toLowerCase().indexOf("zh") === 0;
  var T = {
    title: me.dataset.title || (zh ? "在线客服" : "Chat with us"),
    placeholder: me.dataset.placeholder || (zh ? "输入消息…" : "Type a message…"),
    send: zh ? "发送" : "Send", open: zh ? "咨询" : "Chat", slow: zh ? "发送太快了，请稍候" : "Slow down a little",
    attach: zh ? "发送图片或 PDF" : "Send an image or PDF"
  };
  var KEY = "guanxi-chat-visitor", LAST = "guanxi-chat-last";
  var token = localStorage.getItem(KEY), last = +(localStorage.getItem(LAST) || 0), source = null, shown = {};

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  var css = "#gx-chat{position:fixed;right:16px;bottom:16px;z-index:2147483000;font:14px/1.4 system-ui,sans-serif}" +
    "#gx-chat button{cursor:pointer}#gx-chat .gx-open{border:0;border-radius:24px;padding:10px 18px;background:#c0392b;color:#fff}" +
    "#gx-chat .gx-panel{display:none;width:320px;max-width:90vw;height:420px;background:#fff;border:1px solid #ccc;" +
    "border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.2);flex-direction:column}" +
    "#gx-chat.gx-on .gx-panel{display:flex}#gx-chat.gx-on .gx-open{display:none}" +
    "#gx-chat header{padding:8px 12px;background:#c0392b;color:#fff;display:flex;justify-content:space-between}" +
    "#gx-chat ol{flex:1;overflow:auto;margin:0;padding:8px;list-style:none}" +
    "#gx-chat li{margin:4px 0;padding:6px 10px;border-radius:8px;max-width:80%;white-space:pre-wrap;word-wrap:break-word}" +
    "#gx-chat li.visitor{background:#fdecea;margin-left:auto}#gx-chat li.shop{background:#f1f1f1}" +
    "#gx-chat form{display:flex;border-top:1px solid #ddd}#gx-chat input{flex:1;border:0;padding:10px}" +
    "#gx-chat li img{display:block;max-width:100%;max-height:160px;margin-top:4px}#gx-chat .gx-file{padding:0 8px;background:none;border:0}";
  document.head.appendChild(el("style", {}, css));
  var root = el("div", {id: "gx-chat", role: "complementary", "aria-label": T.title});
  var open = el("button", {type: "button", "class": "gx-open"}, T.open);
  var panel = el("div", {"class": "gx-panel"});
  var head = el("header", {}, T.title);
  var close = el("button", {type: "button", "aria-label": "close", style: "background:none;border:0;color:#fff"}, "×");
  var list = el("ol", {"aria-live": "polite"});
  var form = el("form", {});
  var label = el("label", {"for": "gx-chat-input", style: "position:absolute;left:-9999px"}, T.placeholder);
  var input = el("input", {id: "gx-chat-input", autocomplete: "off", maxlength: "2000", placeholder: T.placeholder});
  var send = el("button", {type: "submit"}, T.send);
  var pick = el("input", {type: "file", id: "gx-chat-file", accept: "image/jpeg,image/png,image/gif,image/webp,application/pdf",
                          style: "display:none"});
  var clip = el("button", {type: "button", "class": "gx-file", "aria-label": T.attach, title: T.attach}, "📎");
  head.appendChild(close); form.appendChild(label); form.appendChild(clip); form.appendChild(pick);
  form.appendChild(input); form.appendChild(send);
  panel.appendChild(head); panel.appendChild(list); panel.appendChild(form);
  root.appendChild(open); root.appendChild(panel);
  document.body.appendChild(root);

  // Knowledge-base links arrive as "/help/<locale>/<slug>" paths of this Guanxi server, which is not
  // the shop's own site the widget sits on: they become links to the server. Text stays text (no HTML).
  var ORIGIN = new URL(me.src, location.href).origin, LINK = /(https?:\/\/[^\s]+|\/help\/[\w-]+\/[\w-]+)/g;
  function linked(parent, text) {
    var at = 0, hit;
    LINK.lastIndex = 0;
    while ((hit = LINK.exec(text))) {
      parent.appendChild(document.createTextNode(text.slice(at, hit.index)));
      var href = hit[0].charAt(0) === "/" ? ORIGIN + hit[0] : hit[0];
      parent.appendChild(el("a", {href: href, target: "_blank", rel: "noopener"}, hit[0]));
      at = hit.index + hit[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
  }
  function show(m) {
    if (shown[m.id]) return;
    shown[m.id] = true;
    var li = el("li", {"class": m.from, "data-id": m.id});
    linked(li, m.text || "");
    (m.attachments || []).forEach(function (f) {
      // The visitor's token in the address: an <img> or a link cannot send the header.
      var url = base + "/attachments/" + f.id + "?visitor=" + encodeURIComponent(token);
      if (f.content_type.indexOf("image/") === 0) li.appendChild(el("img", {src: url, alt: f.filename}));
      else { var a = el("a", {href: url, target: "_blank", rel: "noopener"}, f.filename); li.appendChild(el("br")); li.appendChild(a); }
    });
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
    if (m.id > last) { last = m.id; localStorage.setItem(LAST, String(last)); }
  }
  function api(path, opts) {
    opts = opts || {};
    opts.headers = Object.assign({"Content-Type": "application/json"}, token ? {"X-Chat-Visitor": token} : {}, opts.headers);
    return fetch(base + path, opts);
  }
  var starting = null;  // the visitor being created: a message typed meanwhile waits for it, not for a second one
  function ensureVisitor() {
    if (token) return Promise.resolve(token);
    if (!starting) {
      starting = api("/visitors", {method: "POST", body: "{}"}).then(function (r) { return r.json(); }).then(function (d) {
        token = d.visitor; localStorage.setItem(KEY, token); return token;
      }, function (e) { starting = null; throw e; });
    }
    return starting;
  }
  function listen() {
    if (!token) return;
    if (window.EventSource) {
      if (source) source.close();
      source = new EventSource(base + "/stream?visitor=" + encodeURIComponent(token) + "&after=0");
      source.addEventListener("message", function (e) { show(JSON.parse(e.data)); });
      return;
    }
    (function poll() {
      api("/messages?wait=20&after=" + last).then(function (r) { return r.json(); })
        .then(function (d) { d.messages.forEach(show); poll(); }, function () { setTimeout(poll, 3000); });
    })();
  }
  open.addEventListener("click", function () { root.classList.add("gx-on"); input.focus(); ensureVisitor().then(listen); });
  close.addEventListener("click", function () { root.classList.remove("gx-on"); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    var id = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    ensureVisitor().then(function () {
      return api("/messages", {method: "POST", body: JSON.stringify({text: text, client_id: id})});
    }).then(function (r) {
      if (r.status === 429) { list.appendChild(el("li", {"class": "shop"}, T.slow)); return; }
      input.value = "";
      if (!source) listen();
    });
  });
  clip.addEventListener("click", function () { pick.click(); });
  pick.addEventListener("change", function () {
    var file = pick.files[0];
    if (!file) return;
    var body = new FormData();
    body.append("file", file);
    body.append("client_id", Date.now().toString(36) + Math.random().toString(36).slice(2, 8));
    ensureVisitor().then(function () {
      return fetch(base + "/attachments", {method: "POST", body: body, headers: {"X-Chat-Visitor": token}});
    }).then(function (r) {
      pick.value = "";
      if (r.ok) { if (!source) listen(); return; }
      return r.json().then(function (p) { list.appendChild(el("li", {"class": "shop", role: "alert"}, p.detail)); });
    });
  });
  if (token) listen();
  window.GuanxiChat = {visitor: function () { return token; }};
})();
