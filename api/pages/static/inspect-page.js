// hoso: the inspector's Verify button: the file's bundle fetched and checked here.
import { Refused } from "./verify.js";
import { verifyBundle } from "./verify-bundle.js";

const button = document.getElementById("verify");
const out = document.getElementById("verdict");
const vkey = document.querySelector('meta[name="hoso-log-key"]').content;

function say(kind, title, detail) {
  out.className = "answer " + kind;
  out.replaceChildren();
  const h = document.createElement("h2");
  h.textContent = title;
  const p = document.createElement("p");
  p.textContent = detail;
  out.append(h, p);
  h.tabIndex = -1;
  h.focus();
}

button.addEventListener("click", async () => {
  say("pending", "Đang kiểm tra… · Checking…", "");
  const response = await fetch(button.dataset.bundle, { credentials: "same-origin" });
  if (!response.ok) {
    say("refused", "Chưa kiểm tra được · Cannot check yet", String(response.status));
    return;
  }
  try {
    const r = await verifyBundle(await response.json(), vkey);
    say("verified", "ĐÃ XÁC THỰC · VERIFIED",
      `${r.events} sự kiện của ${r.file}, ${r.registry} mục sổ khóa, checkpoint ${r.size}: chữ ký ` +
      "checkpoint, bằng chứng từng mục, chữ ký từng sự kiện, chuỗi băm · checkpoint signature, " +
      "every inclusion proof, every signature, the hash chain. Hạn hiệu lực khóa, vai trò, luật " +
      "và bản đồ đầu hồ sơ: hoso verify · key windows, roles, rules, head map: hoso verify.");
  } catch (e) {
    say("refused", "KHÔNG XÁC THỰC ĐƯỢC · NOT VERIFIED",
      e instanceof Refused ? e.message : "the bundle could not be read");
  }
});
