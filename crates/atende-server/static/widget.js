/* Atende web chat widget: <script src="https://HOST/chat/widget.js" data-channel="UUID"></script> */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var origin = new URL(script.src).origin;
  var channel = script.getAttribute("data-channel") || "";
  var color = script.getAttribute("data-color") || "#0f766e";
  var open = false;
  var button = document.createElement("button");
  button.setAttribute("aria-label", "Abrir chat");
  // an inline icon, not an emoji: without an emoji font that shows as an empty box
  button.innerHTML = '<svg width="28" height="28" viewBox="0 0 24 24" fill="none" stroke="currentColor" ' +
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" style="display:block;margin:auto">' +
    '<path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z"/></svg>';
  button.style.cssText = "position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;padding:0;" +
    "background:" + color + ";color:#fff;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.25);z-index:2147483647";
  var frame = document.createElement("iframe");
  frame.title = "Chat";
  frame.style.cssText = "position:fixed;right:20px;bottom:88px;width:360px;height:520px;max-height:calc(100vh - 110px);" +
    "max-width:calc(100vw - 40px);border:0;border-radius:12px;box-shadow:0 8px 24px rgba(0,0,0,.25);display:none;z-index:2147483647;background:#fff";
  button.addEventListener("click", function () {
    open = !open;
    if (open && !frame.src) frame.src = origin + "/chat?channel=" + encodeURIComponent(channel) + "&embed=1";
    frame.style.display = open ? "block" : "none";
  });
  document.body.appendChild(frame);
  document.body.appendChild(button);
})();
