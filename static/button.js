// qqconnect: renders a "QQ登录" button into forum pages.
// Usage: <script src="/connect/qq/button.js" defer></script> and an element
// <span id="qqconnect-button"></span> where the button should appear.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src, location.href).origin : location.origin;
  function render() {
    var slot = document.getElementById("qqconnect-button");
    if (!slot || slot.getAttribute("data-rendered")) return;
    var ref = location.pathname + location.search;
    var a = document.createElement("a");
    a.href = base + "/connect/qq/login?referer=" + encodeURIComponent(ref);
    a.rel = "nofollow";
    a.title = "QQ登录 / Log in with QQ";
    a.style.cssText = "display:inline-flex;align-items:center;gap:4px;padding:2px 8px;border-radius:4px;background:#12b7f5;color:#fff;text-decoration:none;font-size:13px;line-height:22px";
    var img = document.createElement("img");
    img.src = base + "/connect/qq/static/qq.svg";
    img.width = 16; img.height = 16; img.alt = "";
    a.appendChild(img);
    a.appendChild(document.createTextNode("QQ登录"));
    slot.appendChild(a);
    slot.setAttribute("data-rendered", "1");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render); else render();
})();
