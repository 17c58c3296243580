// nianbao workbench: upload with progress, filters that apply at once. No framework, no build step.
(function () {
  "use strict";
  var el = document.getElementById("wb-data");
  if (!el) return;
  var D = JSON.parse(el.textContent);
  var EN = D.lang === "en";
  function t(zh, en) { return EN ? en : zh; }

  var form = document.getElementById("filters");
  if (form) {
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) {
      s.addEventListener("change", function () { form.submit(); });
    });
  }

  var drop = document.getElementById("drop");
  if (!drop) return;
  var input = document.getElementById("files");
  var box = document.getElementById("progress");
  var bar = document.getElementById("bar");
  var text = document.getElementById("progress-text");

  function show(fraction, words, cls) {
    box.hidden = false;
    bar.style.width = Math.round(100 * Math.max(0, Math.min(1, fraction))) + "%";
    bar.className = "bar-inner " + (cls || "");
    text.textContent = words;
  }

  function poll(id) {
    fetch("/v1/jobs/" + encodeURIComponent(id), {credentials: "same-origin"})
      .then(function (r) { if (r.status === 401) { toLogin(); throw new Error("login"); } return r.json(); })
      .then(function (job) {
        var p = job.progress || {};
        var finished = (p.done || 0) + (p.failed || 0);
        var words = t("解析中：", "parsing: ") + finished + " / " + p.total + t(" 份", " files") +
          (p.failed ? t("（失败 ", " (failed ") + p.failed + t(" 份）", ")") : "");
        if (job.status === "queued" || job.status === "running") {
          show(p.fraction || 0, words);
          setTimeout(function () { poll(id); }, 700);
        } else {
          show(1, t("完成：", "done: ") + p.done + t(" 份已解析", " parsed") +
               (p.failed ? t("，", ", ") + p.failed + t(" 份无法解析", " failed") : "") + t("。正在刷新列表…", ". Reloading…"),
               p.failed ? "warn" : "ok");
          drop.dataset.done = id;
          setTimeout(function () { window.location.reload(); }, 600);
        }
      }, function () { setTimeout(function () { poll(id); }, 1500); });
  }

  function toLogin() {
    window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname + window.location.search);
  }

  function upload(files) {
    if (!files || !files.length) return;
    var fd = new FormData();
    var bytes = 0;
    Array.prototype.forEach.call(files, function (f) { fd.append("files", f, f.name); bytes += f.size; });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/jobs");
    xhr.withCredentials = true;
    xhr.upload.onprogress = function (e) {
      var total = e.lengthComputable ? e.total : bytes;
      show(e.loaded / Math.max(total, 1) * 0.999, t("上传中：", "uploading: ") + Math.round(100 * e.loaded / Math.max(total, 1)) + "%");
    };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status === 401) {  // the login ran out: log in again, then back to this page
        show(1, t("登录已过期，正在转到登录页…", "your login has expired; going to the login page…"), "bad");
        toLogin();
      } else if (xhr.status === 200 || xhr.status === 201) {
        show(0, t("上传完成，", "uploaded, ") + body.files + t(" 份文件已排队解析…", " file(s) queued…"));
        drop.dataset.job = body.id;
        poll(body.id);
      } else {
        var why = body.detail ? (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)) : ("HTTP " + xhr.status);
        show(1, t("上传被拒绝：", "upload refused: ") + why, "bad");
      }
    };
    xhr.onerror = function () { show(1, t("上传失败：连接中断", "upload failed: connection lost"), "bad"); };
    show(0, t("上传中：", "uploading: ") + "0%");
    xhr.send(fd);
  }

  input.addEventListener("change", function () { upload(input.files); });
  ["dragenter", "dragover"].forEach(function (ev) {
    drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (ev) {
    drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) { upload(e.dataTransfer.files); });
})();
