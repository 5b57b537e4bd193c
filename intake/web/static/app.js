// fapiao-intake screens: keyboard-first review, queue navigation, drag-and-drop upload. No framework, no network but our own API.
"use strict";

const csrf = () => document.body.dataset.csrf || "";

function submit(form) {
  if (form.requestSubmit) form.requestSubmit(); else form.submit();
}

// ---------------------------------------------------------------- queue
function initQueue() {
  const rows = Array.from(document.querySelectorAll("#queue tbody tr"));
  const claim = document.getElementById("claimform");
  const open = (tr) => { claim.action = `/invoices/${tr.dataset.id}/claim`; submit(claim); };
  rows.forEach((tr, i) => {
    tr.addEventListener("click", (e) => { if (!e.target.closest("a")) open(tr); });
    tr.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); open(tr); }
      else if (e.key === "ArrowDown" || e.key === "j") { e.preventDefault(); (rows[i + 1] || tr).focus(); }
      else if (e.key === "ArrowUp" || e.key === "k") { e.preventDefault(); (rows[i - 1] || tr).focus(); }
    });
  });
  rows.forEach((tr) => tr.querySelector("a").addEventListener("click", (e) => { e.preventDefault(); open(tr); }));
  document.addEventListener("keydown", (e) => {
    const typing = /INPUT|SELECT|TEXTAREA/.test(document.activeElement.tagName);
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "n") { e.preventDefault(); document.getElementById("start").click(); }
    else if (e.key === "/") { e.preventDefault(); document.querySelector("input[name=seller]").focus(); }
    else if ((e.key === "ArrowDown" || e.key === "j") && rows.length && !rows.includes(document.activeElement)) { e.preventDefault(); rows[0].focus(); }
  });
  if (rows.length) rows[0].focus();
}

// ---------------------------------------------------------------- the invoice screen
function initInvoice() {
  const footer = document.querySelector("footer.keys");
  const editable = footer.dataset.editable === "1";
  const form = document.getElementById("edit");
  const fields = Array.from(form.querySelectorAll(".field"));
  const accept = new Set();
  const acceptInput = document.getElementById("accept");
  const focusInput = document.getElementById("focus");
  const bar = document.getElementById("confirmbar");
  const original = new Map(fields.map((f) => [f, f.value]));
  let armed = null;

  const slotOf = (el) => el.closest("[data-slot]").dataset.slot;
  const rowOf = (el) => el.closest("[data-slot]");
  const dirty = () => accept.size > 0 || fields.some((f) => f.value !== original.get(f));
  const say = (text) => { bar.textContent = text; bar.hidden = false; };
  const hush = () => { bar.hidden = true; armed = null; };

  function highlight(el) {
    document.querySelectorAll(".frow.current").forEach((r) => r.classList.remove("current"));
    document.querySelectorAll("rect.current").forEach((r) => r.classList.remove("current"));
    const slot = slotOf(el);
    rowOf(el).classList.add("current");
    const rect = document.querySelector(`rect[data-slot="${CSS.escape(slot)}"]`);
    if (rect) {
      rect.classList.add("current");
      const pane = document.querySelector(".pagepane");
      const img = document.getElementById("pageimg");
      if (pane && img) {  // keep the field's box in view when the picture is taller than the window
        const k = img.clientHeight / img.naturalHeight;
        const y = rect.y.baseVal.value * k;
        if (y < pane.scrollTop || y > pane.scrollTop + pane.clientHeight - 40) pane.scrollTop = Math.max(0, y - pane.clientHeight / 3);
      }
    }
    focusInput.value = slot;
  }
  const move = (el, step) => {
    const i = fields.indexOf(el);
    const next = fields[Math.min(fields.length - 1, Math.max(0, i + step))];
    next.focus();
    if (next.select && next.tagName === "INPUT") next.select();
  };
  const nextFlagged = (from) => {
    const flagged = fields.filter((f) => rowOf(f).classList.contains("flagged") && !accept.has(slotOf(f)));
    const after = flagged.find((f) => fields.indexOf(f) > fields.indexOf(from)) || flagged[0];
    if (after) { after.focus(); if (after.select && after.tagName === "INPUT") after.select(); return true; }
    return false;
  };
  function confirmField(el) {
    const slot = slotOf(el);
    accept.add(slot);
    acceptInput.value = Array.from(accept).join(",");
    const row = rowOf(el);
    row.classList.remove("flagged");
    row.classList.add("accepted-now");
    if (!nextFlagged(el)) move(el, 1);
  }
  function save(then) {
    document.getElementById("then").value = then || "";
    submit(form);
  }
  function approve() {
    if (!editable) return;
    if (dirty()) { save("approve"); return; }  // the save re-runs the checks and shows them first
    const open = Number(footer.dataset.openFlags || 0);
    if (open > 0 && armed !== "approve") {
      armed = "approve";
      say(`${open} field(s) are still flagged. Press Alt+A again to approve anyway, Esc to go back.`);
      return;
    }
    hush();
    submit(document.getElementById("approveform"));
  }
  function reject() {
    if (!editable) return;
    const dlg = document.getElementById("rejectdlg");
    dlg.showModal();
    document.getElementById("rejectreason").focus();
  }
  function nextInvoice() {
    const f = document.getElementById("nextform");
    if (!f) return;
    if (dirty() && armed !== "next") {
      armed = "next";
      say("You have unsaved changes. Press Alt+N again to leave them, or Alt+S to save.");
      return;
    }
    submit(f);
  }

  fields.forEach((f) => {
    f.addEventListener("focus", () => highlight(f));
    f.addEventListener("input", () => {
      const row = rowOf(f);
      row.classList.toggle("edited", f.value !== original.get(f));
    });
    f.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.altKey) { e.preventDefault(); if (editable) confirmField(f); }
      else if (e.key === "Enter" && !e.altKey) {
        e.preventDefault();
        move(f, e.shiftKey ? -1 : 1);
      }
    });
  });
  // A name the register knows for this tax id: one click puts it in the field (saved like any edit).
  document.querySelectorAll("button.use-known").forEach((b) => {
    b.addEventListener("click", () => {
      const f = document.getElementById("f-" + b.dataset.slot);
      if (!f || f.readOnly) return;
      f.value = b.dataset.value;
      f.dispatchEvent(new Event("input"));
      f.focus();
    });
  });
  document.querySelectorAll("rect[data-slot]").forEach((r) => {
    r.style.pointerEvents = "all";
    r.style.cursor = "pointer";
    r.addEventListener("click", () => { const f = document.getElementById("f-" + r.dataset.slot); if (f) f.focus(); });
  });
  document.getElementById("btn-approve")?.addEventListener("click", approve);
  document.getElementById("btn-reject")?.addEventListener("click", reject);
  document.getElementById("rejectcancel")?.addEventListener("click", () => document.getElementById("rejectdlg").close());
  document.getElementById("btn-save")?.addEventListener("click", (e) => { e.preventDefault(); save(""); });

  document.addEventListener("keydown", (e) => {
    if (document.getElementById("rejectdlg")?.open) return;  // the dialog handles Enter and Esc itself
    if (e.key === "Escape") { hush(); return; }
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const key = e.code;  // layout-independent: Alt+letter types accents on some keyboards
    const actions = {
      KeyS: () => editable && save(""),
      KeyA: approve,
      KeyR: reject,
      KeyN: nextInvoice,
      KeyJ: () => nextFlagged(document.activeElement),
    };
    if (actions[key]) { e.preventDefault(); e.stopPropagation(); actions[key](); }
  }, true);

  const first = document.getElementById("f-" + footer.dataset.firstFocus) || fields[0];
  if (first) { first.focus(); if (first.select && first.tagName === "INPUT") first.select(); }
}

// ---------------------------------------------------------------- upload
function initUpload() {
  const zone = document.getElementById("uploadform");
  const picker = document.getElementById("files");
  const table = document.getElementById("uploads");
  const body = table.querySelector("tbody");
  const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  async function send(file) {
    table.hidden = false;
    const tr = document.createElement("tr");
    tr.innerHTML = `<td>${esc(file.name)}</td><td><span class="status">uploading…</span></td><td class="num"></td><td></td>`;
    body.prepend(tr);
    const data = new FormData();
    data.append("files", file, file.name);
    try {
      const res = await fetch("/api/upload", { method: "POST", body: data, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" });
      const out = await res.json();
      if (!res.ok) throw new Error(out.detail || res.statusText);
      const r = out[0];
      const links = (r.invoice_ids || []).map((i) => `<a href="/invoices/${i}">#${i}</a>`).join(" ");
      tr.children[1].innerHTML = `<span class="status st-${esc(r.status)}">${esc(r.status.replace("_", " "))}</span>`;
      tr.children[2].textContent = r.invoices || "";
      tr.children[3].innerHTML = `${links} ${esc(r.message || "")}`;
    } catch (err) {
      tr.children[1].innerHTML = `<span class="status st-failed">failed</span>`;
      tr.children[3].textContent = String(err.message || err);
    }
  }
  const sendAll = async (files) => { for (const f of files) await send(f); };
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (e) => sendAll(Array.from(e.dataTransfer.files)));
  picker.addEventListener("change", () => { sendAll(Array.from(picker.files)); picker.value = ""; });
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "queue") initQueue();
  else if (page === "invoice") initInvoice();
  else if (page === "upload") initUpload();
});
