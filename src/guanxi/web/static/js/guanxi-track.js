/* Guanxi site tracking: page views, product views, add-to-cart and purchases for the funnel.
 *
 * The shop pastes, once per page (the funnel page shows it with the shop's site key):
 *   <script>window.guanxi=window.guanxi||function(){(guanxi.q=guanxi.q||[]).push(arguments)};</script>
 *   <script async src="https://guanxi.example.com/t/guanxi.js" data-site="gx_..."></script>
 * and then, where things happen:
 *   guanxi("view_item", {item: "SKU-1"});   guanxi("add_to_cart", {item: "SKU-1"});
 *   guanxi("purchase", {order: "1001", value_minor: 12800, currency: "CNY"});
 *   guanxi("identify", "customer-42");   // the shop's own id of a signed-in customer (optional)
 * or marks elements: <button data-guanxi="add_to_cart" data-item="SKU-1">, which send on click.
 * A page_view goes out on load (data-pageview="off" on the script tag stops it).
 *
 * The visitor is an anonymous random id kept in a first-party cookie and localStorage. Events go
 * out at once with navigator.sendBeacon (text/plain: no preflight, survives leaving the page), or
 * fetch with keepalive where there is no beacon; each has its own id, so a retry is not counted twice.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.guanxi && window.guanxi.loaded) { return; }
  var site = script.getAttribute("data-site") || "";
  var endpoint = new URL("events", script.src).href;
  var NAME = "guanxi_vid", YEARS2 = 63072000;
  var customer = null;

  function randomId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function readCookie() {
    var m = document.cookie.match(/(?:^|;\s*)guanxi_vid=([A-Za-z0-9_-]{8,64})/);
    return m ? m[1] : null;
  }

  function visitorId() {
    var id = null;
    try { id = window.localStorage.getItem(NAME); } catch (e) { /* storage blocked */ }
    if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) { id = readCookie() || randomId(); }
    try { window.localStorage.setItem(NAME, id); } catch (e) { /* storage blocked */ }
    document.cookie = NAME + "=" + id + "; path=/; max-age=" + YEARS2 + "; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
    return id;
  }

  var visitor = visitorId();

  function post(body) {
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], {type: "text/plain"}))) { return; }
    if (window.fetch) {
      fetch(endpoint, {method: "POST", body: body, keepalive: true, mode: "cors",
                       headers: {"Content-Type": "text/plain"}}).catch(function () {});
    }
  }

  function send(name, data) {
    data = data || {};
    var event = {id: randomId(), name: name, path: location.pathname};
    ["item", "order", "currency"].forEach(function (k) { if (data[k] != null) { event[k] = String(data[k]); } });
    if (data.value_minor != null) { event.value_minor = Math.round(Number(data.value_minor)); }
    var batch = {site: site, visitor: visitor, events: [event]};
    if (customer) { batch.customer = customer; }
    post(JSON.stringify(batch));
  }

  function command(name, data) {
    if (name === "identify") { customer = data ? String(data) : null; return; }
    if (["page_view", "view_item", "add_to_cart", "purchase"].indexOf(name) < 0) {
      if (window.console) { console.warn("guanxi: unknown event " + name); }
      return;
    }
    send(name, data);
  }

  var queued = (window.guanxi && window.guanxi.q) || [];
  window.guanxi = function (name, data) { command(name, data); };
  window.guanxi.loaded = true;
  window.guanxi.visitor = visitor;
  // identify first, so that events queued before the snippet loaded carry the customer too
  queued.forEach(function (args) { if (args[0] === "identify") { command(args[0], args[1]); } });
  if (script.getAttribute("data-pageview") !== "off") { send("page_view"); }
  queued.forEach(function (args) { if (args[0] !== "identify") { command(args[0], args[1]); } });

  document.addEventListener("click", function (e) {
    var el = e.target && e.target.closest ? e.target.closest("[data-guanxi]") : null;
    if (!el) { return; }
    var data = {};
    ["item", "order", "currency", "value_minor"].forEach(function (k) {
      var v = el.getAttribute("data-" + k.replace("_", "-"));
      if (v != null) { data[k] = v; }
    });
    command(el.getAttribute("data-guanxi"), data);
  }, true);
})();
