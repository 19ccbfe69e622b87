// hoso: the result verification page (/xac-thuc). The SHA-256 comes from the QR code's fragment
// (never sent in a URL) or from the form; the proof is fetched with a POST and checked here by
// verify.js; only what that check passed is shown.
import { Refused, verifyResultProof } from "./verify.js";

const form = document.getElementById("check");
const input = document.getElementById("sha");
const out = document.getElementById("answer");
const vkey = document.querySelector('meta[name="hoso-log-key"]').content;
const local = new Intl.DateTimeFormat("vi-VN", {
  timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit",
  day: "2-digit", month: "2-digit", year: "numeric",
});

function show(kind, title, rows) {
  out.className = "answer " + kind;
  out.replaceChildren();
  const h = document.createElement("h2");
  h.textContent = title;
  out.append(h);
  const dl = document.createElement("dl");
  for (const [term, value] of rows) {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = term;
    dd.textContent = value;
    dl.append(dt, dd);
  }
  out.append(dl);
  h.tabIndex = -1;
  h.focus();
}

async function check(sha) {
  if (!/^[0-9a-f]{64}$/.test(sha)) {
    show("refused", "Mã không hợp lệ · Not a SHA-256", [
      ["Lý do · Why", "Mã băm gồm 64 chữ số thập lục phân (0-9, a-f) · 64 hexadecimal digits"],
    ]);
    return;
  }
  show("pending", "Đang kiểm tra… · Checking…", []);
  let response;
  try {
    response = await fetch("/public/results", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sha256: sha }),
    });
  } catch {
    show("refused", "Không kết nối được · Could not reach the ledger", []);
    return;
  }
  if (response.status === 404) {
    show("refused", "KHÔNG CÓ TRONG SỔ · NOT IN THE LEDGER", [
      ["Lý do · Why", "Không có kết quả nào được ký với mã băm này · No result signed with this hash"],
    ]);
    return;
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    show("refused", "Chưa kiểm tra được · Cannot check yet", [
      ["Lý do · Why", problem.detail || String(response.status)],
    ]);
    return;
  }
  try {
    const proof = await verifyResultProof(await response.json(), vkey, sha);
    show("verified", "ĐÃ XÁC THỰC · VERIFIED", [
      ["Hồ sơ · File", proof.code],
      ["Ký lúc · Signed at", local.format(new Date(proof.signedAt)) + " (giờ Hà Nội)"],
      ["Người ký · Signed by", proof.signer],
      ["Vị trí trong nhật ký · Log entry", `${proof.leafIndex} / ${proof.treeSize}`],
      ["Nhật ký · Log", proof.origin],
    ]);
  } catch (e) {
    const why = e instanceof Refused ? e.message : "the proof could not be read";
    show("refused", "KHÔNG XÁC THỰC ĐƯỢC · NOT VERIFIED", [["Lý do · Why", why]]);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  check(input.value.trim().toLowerCase());
});

const fragment = location.hash.slice(1).toLowerCase();
if (fragment) {
  input.value = fragment;
  check(fragment);
}
