// 合格证登记系统: CSRF header for htmx, toasts, confirmation dialogs and a
// loading bar. No inline scripts (CSP script-src 'self').
(function () {
  "use strict";
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });

  function toast(message, kind) {
    var box = document.getElementById("toasts");
    if (!box) { box = document.createElement("div"); box.id = "toasts"; document.body.appendChild(box); }
    var t = document.createElement("div");
    t.className = "toast" + (kind === "error" ? " error" : "");
    t.setAttribute("role", kind === "error" ? "alert" : "status");
    t.textContent = message;
    box.appendChild(t);
    setTimeout(function () { t.remove(); }, kind === "error" ? 6000 : 3500);
  }
  window.appToast = toast;
  document.body.addEventListener("toast", function (e) {
    var d = e.detail || {};
    toast(d.message || d.value || "", d.kind);
  });
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    if (!xhr.getResponseHeader("HX-Trigger")) {
      toast(xhr.status === 403 ? "您没有执行此操作的权限。" : xhr.status === 404 ? "记录不存在或已被删除。" : "操作未完成，请稍后重试。", "error");
    }
  });
  document.addEventListener("htmx:sendError", function () { toast("无法连接服务器，请检查网络后重试。", "error"); });

  // A flash message rendered by the server into the page.
  document.addEventListener("DOMContentLoaded", function () {
    var f = document.getElementById("flash");
    if (f && f.dataset.message) { toast(f.dataset.message, f.dataset.kind); }
  });

  // Confirmation before destructive actions: data-confirm on a form or button.
  var dlg = null;
  function confirmDialog(text, okLabel, danger, cb) {
    if (!dlg) {
      dlg = document.createElement("dialog");
      dlg.className = "confirm";
      dlg.innerHTML = '<form method="dialog"><div class="dlg-body"><h3>请确认</h3><p></p></div>' +
        '<div class="dlg-actions"><button class="btn" value="cancel">取消</button><button class="btn primary" value="ok">确定</button></div></form>';
      document.body.appendChild(dlg);
    }
    dlg.querySelector("p").textContent = text;
    var ok = dlg.querySelector('button[value="ok"]');
    ok.textContent = okLabel || "确定";
    ok.className = "btn " + (danger ? "danger" : "primary");
    dlg.onclose = function () { if (dlg.returnValue === "ok") cb(); };
    dlg.returnValue = "";
    dlg.showModal();
    ok.focus();
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var btn = e.submitter;
    var text = (btn && btn.dataset.confirm) || form.dataset.confirm;
    if (text && !form.dataset.confirmed) {
      e.preventDefault();
      confirmDialog(text, (btn && btn.dataset.confirmOk) || form.dataset.confirmOk, (btn && btn.classList.contains("danger")) || form.dataset.danger, function () {
        form.dataset.confirmed = "1";
        if (btn && btn.name) {
          var h = document.createElement("input");
          h.type = "hidden"; h.name = btn.name; h.value = btn.value; form.appendChild(h);
        }
        form.requestSubmit ? form.requestSubmit() : form.submit();
        delete form.dataset.confirmed;
      });
      return;
    }
    // Double-click guard: a plain form submits once.
    if (!form.hasAttribute("hx-post") && !form.hasAttribute("hx-get")) {
      if (form.dataset.sending) { e.preventDefault(); return; }
      form.dataset.sending = "1";
      document.body.classList.add("loading");
      if (btn) { btn.classList.add("disabled"); }
      setTimeout(function () { delete form.dataset.sending; if (btn) btn.classList.remove("disabled"); }, 8000);
    }
  }, true);
  // htmx requests ask through the same dialog (hx-confirm).
  document.addEventListener("htmx:confirm", function (e) {
    if (!e.detail.question) return;
    e.preventDefault();
    var el = e.detail.elt;
    confirmDialog(e.detail.question, el.dataset.confirmOk, el.classList.contains("danger"), function () { e.detail.issueRequest(true); });
  });
  document.addEventListener("htmx:beforeRequest", function () { document.body.classList.add("loading"); });
  document.addEventListener("htmx:afterRequest", function () { document.body.classList.remove("loading"); });
  window.addEventListener("pageshow", function () { document.body.classList.remove("loading"); });

  // Date presets: a button with data-set-from and data-set-to fills the
  // from and to fields of its form and lets the form react to the change.
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("[data-set-from]") : null;
    var form = b && b.form;
    if (!form || !form.elements.from || !form.elements.to) return;
    form.elements.from.value = b.dataset.setFrom;
    form.elements.to.value = b.dataset.setTo;
    form.elements.to.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // Select-all checkboxes: data-check-all="name".
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.dataset && t.dataset.checkAll) {
      document.querySelectorAll('input[type=checkbox][name="' + t.dataset.checkAll + '"]').forEach(function (c) { c.checked = t.checked; });
    }
  });
})();

// Group select-all (the scope grid): a box with data-check-group="g" checks
// every enabled box whose data-groups lists g.
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t.dataset || !t.dataset.checkGroup) return;
    var g = t.dataset.checkGroup;
    document.querySelectorAll("input[type=checkbox][data-groups]").forEach(function (c) {
      if (!c.disabled && (" " + c.dataset.groups + " ").indexOf(" " + g + " ") >= 0) c.checked = t.checked;
    });
  });
})();

// ==== Batches (issue 4): upload progress and image preview ====
(function () {
  "use strict";
  // A form with <progress data-upload-progress> shows how much of its
  // multipart upload has been sent (htmx requests only).
  document.addEventListener("htmx:xhr:progress", function (e) {
    var el = e.target;
    var form = el && el.closest ? el.closest("form") : null;
    var bar = form ? form.querySelector("progress[data-upload-progress]") : null;
    if (!bar || !e.detail || !e.detail.lengthComputable || !e.detail.total) { return; }
    bar.hidden = false;
    bar.value = Math.round(e.detail.loaded * 100 / e.detail.total);
  });
  // Images of a batch open in a dialog: a[data-preview] (its href is the
  // inline image).
  var dlg = null;
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[data-preview]") : null;
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) { return; }
    e.preventDefault();
    if (!dlg) {
      dlg = document.createElement("dialog");
      dlg.className = "preview";
      dlg.innerHTML = '<form method="dialog"><div class="preview-head"><span></span><button class="btn small" value="close">关闭</button></div><img alt=""></form>';
      document.body.appendChild(dlg);
    }
    var img = dlg.querySelector("img");
    img.src = a.getAttribute("href");
    img.alt = a.dataset.preview;
    dlg.querySelector("span").textContent = a.dataset.preview;
    dlg.showModal();
  });
})();

// Review workspace: filter the candidate list as you type, move through it
// with the arrow keys (each move loads the details pane through htmx).
(function () {
  "use strict";
  function items() {
    return Array.prototype.filter.call(document.querySelectorAll("#cand-list .cand-item"), function (a) {
      return a.parentElement.style.display !== "none";
    });
  }
  function activate(a) {
    document.querySelectorAll("#cand-list .cand-item.active").forEach(function (x) { x.classList.remove("active"); });
    a.classList.add("active");
    a.scrollIntoView({ block: "nearest" });
    if (window.htmx) { window.htmx.trigger(a, "click"); }
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("#cand-list .cand-item");
    if (!a) return;
    document.querySelectorAll("#cand-list .cand-item.active").forEach(function (x) { x.classList.remove("active"); });
    a.classList.add("active");
  });
  document.addEventListener("input", function (e) {
    if (e.target.id !== "cand-filter") return;
    var q = e.target.value.trim().toLowerCase();
    document.querySelectorAll("#cand-list .cand-item").forEach(function (a) {
      a.parentElement.style.display = !q || (a.dataset.search || "").toLowerCase().indexOf(q) >= 0 ? "" : "none";
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    var list = document.getElementById("cand-list");
    if (!list) return;
    var t = e.target;
    if (t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && t.id !== "cand-filter")) ) return;
    var all = items();
    if (!all.length) return;
    var i = all.indexOf(list.querySelector(".cand-item.active"));
    i = e.key === "ArrowDown" ? Math.min(i + 1, all.length - 1) : Math.max(i - 1, 0);
    e.preventDefault();
    activate(all[i]);
  });
})();

// Certificates (issue 6): the selection count and the buttons that need a
// selection; a print answers with a PDF download and no new page, so the
// form is released and the table refreshed; the print-format form updates
// its preview as it is edited.
(function () {
  "use strict";
  function certForm() { return document.getElementById("cert-actions"); }
  function updateSelection() {
    var form = certForm();
    if (!form) return;
    var n = form.querySelectorAll('input[type=checkbox][name="n"]:checked').length;
    var label = document.getElementById("cert-selected");
    if (label) label.textContent = "已选 " + n + " 本";
    form.querySelectorAll("[data-needs-selection]").forEach(function (b) { b.disabled = n === 0; });
  }
  document.addEventListener("change", function (e) {
    if (e.target && e.target.closest && e.target.closest("#cert-actions")) updateSelection();
  });
  document.addEventListener("DOMContentLoaded", updateSelection);
  document.addEventListener("htmx:afterSettle", updateSelection);

  document.addEventListener("submit", function (e) {
    if (e.defaultPrevented) return;
    var form = e.target;
    var btn = e.submitter;
    var action = (btn && btn.getAttribute("formaction")) || form.getAttribute("action") || "";
    if (!/\/certificates\/print$/.test(action)) return;
    // The confirmation dialog adds the button's all=1 as a hidden field:
    // it belongs to this submission only.
    setTimeout(function () { form.querySelectorAll('input[type=hidden][name="all"]').forEach(function (i) { i.remove(); }); }, 0);
    setTimeout(function () {
      delete form.dataset.sending;
      document.body.classList.remove("loading");
      form.querySelectorAll(".btn.disabled").forEach(function (b) { b.classList.remove("disabled"); });
      if (document.getElementById("cert-table") && window.htmx) {
        window.htmx.ajax("GET", window.location.pathname + window.location.search, { target: "#cert-table", swap: "outerHTML" });
      } else if (document.getElementById("print-status")) {
        window.location.reload();
      }
    }, 2500);
  });

  // Live preview of a print format: data-preview names the <iframe>.
  var timer = null;
  function refreshPreview(form) {
    var frame = document.querySelector(form.dataset.preview);
    if (!frame) return;
    var params = new URLSearchParams(new FormData(form));
    params.delete("_csrf");
    var q = params.toString();
    frame.src = "/certificates/formats/preview?" + q;
    document.querySelectorAll("[data-preview-link]").forEach(function (a) {
      a.href = "/certificates/formats/preview?" + (a.dataset.previewLink === "calibration" ? "kind=calibration&" : "") + q;
    });
  }
  function onEdit(e) {
    var form = e.target && e.target.closest && e.target.closest("form[data-preview]");
    if (!form) return;
    clearTimeout(timer);
    timer = setTimeout(function () { refreshPreview(form); }, 600);
  }
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
})();

// The library's 发证机构 picker (handlers/cert_orgs.go): a search box whose
// choices htmx loads into the list under it as the clerk types (the page
// does not carry the organisations). Choosing one sets the hidden org field
// and fires its change, which reloads the table like any other filter; the
// box has no name and its own change and keyup events stop here, so typing
// never does. Leaving an emptied box (or its ✕) clears the filter; leaving
// text that was not chosen puts the chosen name back.
(function () {
  "use strict";
  function picker(el) {
    var field = el && el.closest ? el.closest(".org-picker") : null;
    if (!field) return null;
    return { input: field.querySelector("[data-org-picker]"), hidden: field.querySelector('input[type=hidden][name="org"]'),
      list: field.querySelector('[role="listbox"]') };
  }
  function isBox(el) { return !!(el && el.matches && el.matches("[data-org-picker]")); }
  function label(p) { return p.input.getAttribute("data-label") || ""; }
  var CHOICE = '[role="option"]:not([aria-disabled="true"])';
  function options(p) { return Array.prototype.slice.call(p.list.querySelectorAll(CHOICE)); }
  function active(p) { return p.list.querySelector(CHOICE + ".active"); }
  function activate(p, el) {
    options(p).forEach(function (o) { o.classList.toggle("active", o === el); });
    if (el) {
      p.input.setAttribute("aria-activedescendant", el.id);
      el.scrollIntoView({ block: "nearest" });
    } else {
      p.input.removeAttribute("aria-activedescendant");
    }
  }
  // The list opens under the box, leftwards when it would pass the form's
  // right edge.
  function open(p) {
    p.list.classList.remove("end");
    p.list.hidden = false;
    p.input.setAttribute("aria-expanded", "true");
    var form = p.input.form;
    if (form && p.list.getBoundingClientRect().right > form.getBoundingClientRect().right) p.list.classList.add("end");
  }
  function close(p) {
    p.list.hidden = true;
    p.input.setAttribute("aria-expanded", "false");
    p.input.removeAttribute("aria-activedescendant");
  }
  // show puts name in the box, also as its attribute: htmx's history keeps
  // the markup, not the typed value.
  function show(p, name) {
    p.input.value = name;
    p.input.setAttribute("value", name);
    p.input.setAttribute("data-label", name);
  }
  function select(p, id) {
    if (p.hidden.value === id) return;
    p.hidden.value = id;
    p.hidden.dispatchEvent(new Event("change", { bubbles: true }));
  }
  function choose(p, el) {
    show(p, el.getAttribute("data-org-name") || "");
    close(p);
    // Still in the box: typing replaces the name.
    if (document.activeElement === p.input) p.input.select();
    select(p, el.getAttribute("data-org-id") || "");
  }
  function settle(p) {
    close(p);
    if (p.input.value.trim() === "") {
      show(p, "");
      select(p, "");
    } else if (p.input.value !== label(p)) {
      p.input.value = label(p);
    }
  }

  // The typed text goes as q (the box has no name); the chosen name still
  // in the box asks for the whole list.
  document.addEventListener("htmx:configRequest", function (e) {
    var box = e.detail.elt;
    if (!isBox(box)) return;
    var q = box.value.trim();
    e.detail.parameters.q = q === label(picker(box)) ? "" : q;
  });
  // After the settle: htmx gives the new options the old ones' attributes
  // (same ids) until then, which would take the highlight away.
  document.addEventListener("htmx:afterSettle", function (e) {
    var p = picker(e.detail.target);
    if (!p || e.detail.target !== p.list) return;
    if (document.activeElement !== p.input) { close(p); return; }
    open(p);
    // The chosen one while the box shows it, 全部机构 in an emptied box, the
    // first match otherwise: Enter takes it.
    var q = p.input.value.trim();
    if (q === label(p)) activate(p, p.list.querySelector(CHOICE + '[aria-selected="true"]'));
    else if (q === "") activate(p, p.list.querySelector(CHOICE));
    else activate(p, p.list.querySelector(CHOICE + ':not([data-org-id=""])'));
  });

  // The box's own events are not the form's: the form reloads the table on
  // change and its other fields on keyup.
  function own(e) { if (isBox(e.target)) e.stopPropagation(); }
  document.addEventListener("change", own, true);
  document.addEventListener("keyup", own, true);

  document.addEventListener("keydown", function (e) {
    if (!isBox(e.target)) return;
    var p = picker(e.target);
    var isOpen = !p.list.hidden;
    switch (e.key) {
      case "ArrowDown":
      case "ArrowUp":
        e.preventDefault();
        if (!isOpen) { if (window.htmx) window.htmx.trigger(p.input, "org-open"); return; }
        var all = options(p);
        if (!all.length) return;
        var i = all.indexOf(active(p));
        i = e.key === "ArrowDown" ? Math.min(i + 1, all.length - 1) : Math.max(i - 1, 0);
        activate(p, all[i]);
        break;
      case "Enter":
        // Never submits the form: the picker chooses, or opens.
        e.preventDefault();
        if (isOpen && active(p)) choose(p, active(p));
        else if (!isOpen && window.htmx) window.htmx.trigger(p.input, "org-open");
        break;
      case "Escape":
        // Closes the list, then puts the chosen name back (a search box
        // would clear itself).
        e.preventDefault();
        if (isOpen) close(p); else p.input.value = label(p);
        break;
    }
  });
  // The form submits itself on the key press that follows an Enter (sent on
  // its own by some keyboards and by automation).
  document.addEventListener("keypress", function (e) {
    if (isBox(e.target) && e.key === "Enter") e.preventDefault();
  });
  // The search box's ✕ clears the filter at once.
  document.addEventListener("search", function (e) {
    if (!isBox(e.target)) return;
    var p = picker(e.target);
    if (p.input.value === "") { show(p, ""); select(p, ""); }
  }, true);
  document.addEventListener("focusout", function (e) {
    if (!isBox(e.target)) return;
    var p = picker(e.target);
    if (e.relatedTarget && p.list.contains(e.relatedTarget)) return;
    settle(p);
  });
  // Focusing the box selects its text, so typing replaces the chosen name
  // (the mouse-up that focused it would undo the selection).
  var focusedAt = 0;
  document.addEventListener("focusin", function (e) {
    if (!isBox(e.target)) return;
    focusedAt = Date.now();
    e.target.select();
  });
  document.addEventListener("mouseup", function (e) {
    if (isBox(e.target) && Date.now() - focusedAt < 300) e.preventDefault();
  });
  // A press in the list keeps the focus in the box; a click chooses.
  document.addEventListener("mousedown", function (e) {
    var p = picker(e.target);
    if (p && p.list.contains(e.target)) e.preventDefault();
  });
  document.addEventListener("click", function (e) {
    var p = picker(e.target);
    var el = p && e.target.closest(CHOICE);
    if (el && p.list.contains(el)) { choose(p, el); return; }
    // A click in the box that has the focus already opens the list.
    if (p && isBox(e.target) && p.list.hidden && Date.now() - focusedAt > 300 && window.htmx) {
      window.htmx.trigger(p.input, "org-open");
      return;
    }
    // A click anywhere else closes any open list.
    document.querySelectorAll(".org-picker [role=\"listbox\"]:not([hidden])").forEach(function (list) {
      if (!list.parentNode.contains(e.target)) close(picker(list));
    });
  });
})();

// Uploads over the route's cap (data-max-bytes, with its message in
// data-too-large, both from the server) are stopped in the page: the server
// refuses such a request without reading it and closes the connection, so
// the browser could not show its answer.
(function () {
  "use strict";
  function tooBig(form) {
    var limit = Number(form.dataset.maxBytes || 0);
    if (!limit) return false;
    var total = 0;
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { total += f.size; });
    });
    return total > limit;
  }
  function refuse(e, form) {
    e.preventDefault();
    e.stopImmediatePropagation();
    if (window.appToast) window.appToast(form.dataset.tooLarge || "上传的内容过大。", "error");
  }
  // On window, capturing: before the confirmation dialog and htmx see the
  // submit.
  window.addEventListener("submit", function (e) {
    if (e.target.enctype === "multipart/form-data" && tooBig(e.target)) refuse(e, e.target);
  }, true);
  document.addEventListener("htmx:confirm", function (e) {
    var f = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form");
    if (f && f.enctype === "multipart/form-data" && tooBig(f)) refuse(e, f);
  });
})();

// Certificate businesses (issue 9): 姓名 and 身份证号 cannot change in one
// application, so filling one disables the other (data-exclusive names the
// other field); the proof images are checked for count and size as they are
// chosen and again before sending (data-proofs-min/max, data-proof-kb on
// the form). The server checks both anyway.
(function () {
  "use strict";
  function exclusive() {
    document.querySelectorAll("input[data-exclusive]").forEach(function (input) {
      var other = document.getElementById(input.dataset.exclusive);
      if (!other) return;
      // Both filled (a refused form shown again): both stay editable.
      var block = input.value.trim() !== "" && other.value.trim() === "";
      other.disabled = block;
      other.title = block ? "姓名和身份证号不能在同一次申请中变更" : "";
    });
  }
  document.addEventListener("input", function (e) { if (e.target.dataset && e.target.dataset.exclusive !== undefined) exclusive(); });
  document.addEventListener("DOMContentLoaded", exclusive);

  function proofProblem(form, list) {
    var input = form.querySelector('input[type=file][name="proofs"]');
    if (!input) return "";
    var files = Array.prototype.slice.call(input.files || []);
    var min = +form.dataset.proofsMin || 0, max = +form.dataset.proofsMax || 5, kb = +form.dataset.proofKb || 200;
    if (list) {
      list.innerHTML = "";
      list.hidden = files.length === 0;
      files.forEach(function (f) {
        var li = document.createElement("li");
        var bad = f.size > kb * 1024 || !/\.(jpe?g|png)$/i.test(f.name);
        if (bad) li.className = "bad";
        var name = document.createElement("span");
        name.textContent = f.name;
        var size = document.createElement("span");
        size.textContent = Math.ceil(f.size / 1024) + " KB" + (bad ? (f.size > kb * 1024 ? "（超过 " + kb + " KB）" : "（不是 jpg/png）") : "");
        li.appendChild(name); li.appendChild(size); list.appendChild(li);
      });
    }
    if (files.length < min) return "请选择证明材料图片（单位出具的纸质申请表等），至少 " + min + " 张。";
    if (files.length > max) return "证明材料最多上传 " + max + " 张图片（已选择 " + files.length + " 张）。";
    for (var i = 0; i < files.length; i++) {
      if (!/\.(jpe?g|png)$/i.test(files[i].name)) return "文件「" + files[i].name + "」不是 jpg 或 png 图片。";
      if (files[i].size > kb * 1024) return "图片「" + files[i].name + "」大小为 " + Math.ceil(files[i].size / 1024) + " KB，超过每张 " + kb + " KB 的上限，请压缩后再上传。";
    }
    return "";
  }
  function show(form, msg) {
    var box = form.querySelector("#proofs-error");
    var field = form.querySelector("#proofs-field");
    if (box) { box.textContent = msg; box.hidden = !msg; }
    if (field) field.classList.toggle("invalid", !!msg);
  }
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input || input.name !== "proofs" || input.type !== "file") return;
    var form = input.closest("form[data-proofs-max]");
    if (!form) return;
    show(form, proofProblem(form, form.querySelector("#proof-picked")));
  });
  // On the window, so it runs before the confirmation dialog and the
  // double-submit guard (document listeners).
  window.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.dataset || form.dataset.proofsMax === undefined) return;
    var msg = proofProblem(form, null);
    if (!msg) return;
    e.preventDefault();
    e.stopPropagation();
    show(form, msg);
    if (window.appToast) window.appToast(msg, "error");
  }, true);
})();
