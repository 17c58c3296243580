// nianbao review: keyboard-first reviewing. No framework, no build step.
(function () {
  "use strict";
  var el = document.getElementById("page-data");
  if (!el) return;
  var D = JSON.parse(el.textContent);
  var L = document.getElementById("i18n");
  var EN = L ? JSON.parse(L.textContent).lang === "en" : false;
  function T(zh, en) { return EN ? en : zh; }
  var STACK = "nianbao-review-undo";   // ids of this tab's own events, newest last
  var FLASH = "nianbao-review-flash";

  function stack() { try { return JSON.parse(sessionStorage.getItem(STACK) || "[]"); } catch (e) { return []; } }
  function setStack(s) { sessionStorage.setItem(STACK, JSON.stringify(s.slice(-200))); }
  function go(url) { if (url) window.location.href = url; }
  function esc(s) { return String(s == null ? "—" : s).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }
  function num(v) { return v === null || v === undefined ? "—" : String(v); }

  function showFlash() {
    var box = document.getElementById("flash");
    var raw = sessionStorage.getItem(FLASH);
    if (!box || !raw) return;
    sessionStorage.removeItem(FLASH);
    var f = JSON.parse(raw);
    var html = "<b>" + esc(f.text) + "</b>";
    var changes = f.rule_changes || [];
    if (changes.length) {
      html += "<ul class='changes'>";
      changes.forEach(function (r) {
        var word = {passed: T("现在成立", "now holds"), failed: T("现在不成立", "now broken"),
                    not_assessable: T("无法核对", "not assessable")}[r.status];
        html += "<li class='rule " + esc(r.status) + "' title='" + esc(r.rule + " (" + r.subject + ")") + "'><b class='badge'>" +
          esc(word) + "</b> " + esc(r.finding || r.rule) + "<br><small>" +
          (r.equation_before ? "<s>" + esc(r.equation_before) + "</s> → " : "") + "<span class='eq'>" + esc(r.equation) + "</span></small></li>";
      });
      html += "</ul>";
    } else {
      html += " <small>" + T("（没有勾稽关系改变状态）", "(no rule changed status)") + "</small>";
    }
    if (f.rules_total) html += "<small>" + T("本报告勾稽关系：", "Report rules: ") + f.rules_total.passed + T(" 条成立 · ", " hold · ") +
      f.rules_total.failed + T(" 条不成立 · ", " broken · ") + f.rules_total.not_assessable + T(" 条无法核对", " n/a") + "</small>";
    box.innerHTML = html;
    box.hidden = false;
  }

  function post(url, body) {
    return fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, credentials: "same-origin",
                       body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (j) { return {status: r.status, body: j}; }); });
  }

  function say(text, cls) {
    var m = document.getElementById("msg");
    if (m) { m.textContent = text; m.className = "msg " + (cls || ""); }
  }

  var busy = false;
  function handle(res, verb) {
    busy = false;
    if (res.status === 409) {
      var b = res.body;
      D.version = b.version;
      D.in_force = b.cell && b.cell.in_force ? b.cell.in_force.id : null;
      say(T("未保存：" + (b.by || "他人") + " 于 " + (b.at || "?") + " 改动了这一格（" + (b.action || "") + "），现值为 " + num(b.value) +
            "。您的修改没有保存：现在按 Enter 确认 " + num(b.value) + "，或输入数字更正。",
            "Not saved: " + (b.by || "someone") + " changed this cell (" + (b.action || "") + ") at " + (b.at || "?") +
            "; its value is now " + num(b.value) + ". Your change was not saved: Enter now accepts " + num(b.value) + ", or type a number."), "bad");
      var now = document.getElementById("value-now");
      if (now) now.textContent = num(b.value) + T("（由 " + (b.by || "他人") + " 改动）", " (changed by " + (b.by || "someone") + ")");
      return;
    }
    if (res.status !== 200) {
      say((res.body && res.body.detail) || (T("出错 ", "error ") + res.status), "bad");
      return;
    }
    var ev = res.body.event;
    if (verb !== "undo") { var s = stack(); s.push({rid: D.rid, id: ev.id}); setStack(s); }
    var cellName = ev.table + "." + ev.row + "." + ev.col;
    var zhName = (res.body.cell && res.body.cell.labels && res.body.cell.labels.short) || cellName;
    var text = verb === "accept" ? T("已确认 " + zhName + " = " + num(ev.new_value), "Accepted " + cellName + " = " + num(ev.new_value))
      : verb === "correct" ? T("已更正 " + zhName + "：" + num(ev.old_value) + " → " + num(ev.new_value) + "（机器读数 " + num(ev.machine_value) + "）",
                               "Corrected " + cellName + ": " + num(ev.old_value) + " → " + num(ev.new_value) + " (machine read " + num(ev.machine_value) + ")")
      : T("已撤销 " + zhName + "：" + num(ev.old_value) + " → " + num(ev.new_value), "Undone on " + cellName + ": " + num(ev.old_value) + " → " + num(ev.new_value));
    sessionStorage.setItem(FLASH, JSON.stringify({text: text, rule_changes: res.body.rule_changes, rules_total: res.body.rules_total}));
    if (verb === "undo") {
      var c = res.body.cell;
      go(D.base + "/cell/" + encodeURIComponent(c.rid) + "/" + c.key.join("/"));
    } else {
      go(res.body.nav.next_open);
    }
  }

  function act(raw) {
    if (busy) return;
    var v = raw.trim();
    busy = true;
    say(T("保存中…", "saving…"));
    var body = v === "" ? {action: "accept", version: D.version} : {action: "correct", value: v, version: D.version};
    post(D.api, body).then(function (r) { handle(r, body.action); }, function (e) { busy = false; say(String(e), "bad"); });
  }

  function undo() {
    // undo this tab's own last change (any report); else the change in force on this cell
    if (busy) return;
    var s = stack();
    var last = s.pop();
    var url, body;
    if (last) { url = D.base + "/api/undo/" + encodeURIComponent(last.rid); body = {event: last.id}; }
    else if (D.page === "cell" && D.in_force) { url = D.undo; body = {event: D.in_force, version: D.version}; }
    else { say(T("没有可撤销的修改", "nothing to undo")); return; }
    busy = true;
    say(T("撤销中…", "undoing…"));
    post(url, body).then(function (r) {
      if (r.status === 200 || r.status === 404) setStack(s);
      handle(r, "undo");
    }, function (e) { busy = false; say(String(e), "bad"); });
  }

  if (D.page === "cell") {
    showFlash();
    var input = document.getElementById("value");
    input.focus();
    document.getElementById("act").addEventListener("submit", function (e) { e.preventDefault(); act(input.value); });
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      var empty = input.value === "";
      if (e.key === "ArrowDown" || (e.key === "ArrowRight" && empty)) { e.preventDefault(); go(D.next); }
      else if (e.key === "ArrowUp" || (e.key === "ArrowLeft" && empty)) { e.preventDefault(); go(D.prev); }
      else if (e.key === "u" || e.key === "U") { e.preventDefault(); undo(); }
      else if ((e.key === "p" || e.key === "P") && D.page_url) { e.preventDefault(); go(D.page_url); }
      else if (e.key === "Escape") { e.preventDefault(); go(D.queue); }
      else if (e.key.length === 1 && !/[0-9.,\-+]/.test(e.key)) { e.preventDefault(); }
      else if (document.activeElement !== input && e.key !== "Enter") { input.focus(); }
    });
  } else if (D.page === "queue") {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#items tr.item"));
    var sel = -1;
    function pick(i) {
      if (!rows.length) return;
      if (sel >= 0) rows[sel].classList.remove("sel");
      sel = Math.max(0, Math.min(rows.length - 1, i));
      rows[sel].classList.add("sel");
      rows[sel].scrollIntoView({block: "nearest"});
    }
    document.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); pick(sel + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); pick(sel - 1); }
      else if (e.key === "Enter") { e.preventDefault(); go(sel >= 0 ? rows[sel].dataset.url : D.first_open); }
      else if (e.key === "u") { e.preventDefault(); undo(); }
    });
    rows.forEach(function (r, i) { r.addEventListener("click", function (e) { if (e.target.tagName !== "A") go(r.dataset.url); }); });
  } else {
    if (D.page === "page" && location.hash) {
      var t = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (t) window.addEventListener("load", function () { t.scrollIntoView({block: "center"}); t.focus(); });
    }
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") go(D.queue); });
  }
})();
