// hoso: what the browser checks itself, trusting neither the server nor the page's words (issue 18).
// The same steps as ledger/log/result_proof.py: a C2SP signed note checked with the log's
// Ed25519 key (WebCrypto), an RFC 9162 inclusion proof recomputed with SHA-256 up to the
// checkpoint's root, and the entry read only once both hold. No library, nothing fetched but
// the proof itself.

const utf8 = new TextEncoder();

export class Refused extends Error {}

function fail(message) {
  throw new Refused(message);
}

export function fromBase64(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
    fail("not base64");
  }
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

// RFC 9162, 2.1.3.2: the root an inclusion proof gives for the leaf at `index` of `size`.
export async function rootFromInclusion(leaf, index, size, proof) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    fail("the leaf index is not in the tree");
  }
  if (leaf.length !== 32) fail("a leaf hash is not 32 bytes");
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== 32) fail("a proof hash is not 32 bytes");
    if (sn === 0) fail("the inclusion proof is too long");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail("the inclusion proof is too short");
  return r;
}

// A vkey: name+hex(key id)+base64(0x01 || Ed25519 public key).
async function parseVkey(vkey) {
  const first = vkey.indexOf("+");
  const second = vkey.indexOf("+", first + 1);
  if (first < 1 || second !== first + 9) fail("the log's key is malformed");
  const [name, id, encoded] = [vkey.slice(0, first), vkey.slice(first + 1, second),
    vkey.slice(second + 1)];
  const raw = fromBase64(encoded);
  if (raw.length !== 33 || raw[0] !== 1) fail("the log's key is not an Ed25519 key");
  const keyHash = (await sha256(concat(utf8.encode(name + "\n"), raw))).slice(0, 4);
  if (hex(keyHash) !== id.toLowerCase()) fail("the log's key id does not match its key");
  return { name, keyHash, publicKey: raw.slice(1) };
}

// C2SP signed note: the text (ending in a newline), a blank line, "— name base64(id || sig)".
export async function openNote(note, vkey) {
  const key = await parseVkey(vkey);
  const cut = note.lastIndexOf("\n\n");
  if (cut < 0 || !note.endsWith("\n")) fail("the checkpoint is not a signed note");
  const text = note.slice(0, cut + 1);
  const lines = note.slice(cut + 2, -1).split("\n");
  const verifier = await crypto.subtle.importKey(
    "raw", key.publicKey, { name: "Ed25519" }, false, ["verify"]);
  let signed = false;
  for (const line of lines) {
    if (!line.startsWith("\u2014 ")) fail("a signature line of the checkpoint is malformed");
    const [name, encoded] = line.slice(2).split(" ");
    const raw = fromBase64(encoded || "");
    if (name !== key.name || !equal(raw.slice(0, 4), key.keyHash)) continue; // a witness's
    const ok = await crypto.subtle.verify("Ed25519", verifier, raw.slice(4), utf8.encode(text));
    if (!ok) fail("the checkpoint's signature by the log does not verify");
    signed = true;
  }
  if (!signed) fail("the checkpoint is not signed by the log's key");
  return text;
}

export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || !/^[1-9][0-9]*$|^0$/.test(lines[1])) fail("the checkpoint is malformed");
  const root = fromBase64(lines[2]);
  if (root.length !== 32) fail("the checkpoint's root is not 32 bytes");
  return { origin: lines[0], size: Number(lines[1]), root };
}

// A hoso-result-proof/v1 document for the document `sha` (hex): the facts it proves, or Refused.
export async function verifyResultProof(doc, vkey, sha) {
  if (!doc || doc.format !== "hoso-result-proof/v1") fail("not a result proof");
  if (doc.document_sha256 !== sha) fail("the proof is for another document");
  const checkpoint = parseCheckpoint(await openNote(doc.checkpoint, vkey));
  if (checkpoint.size !== doc.tree_size) fail("the checkpoint is not of the proof's size");
  const entry = fromBase64(doc.entry);
  const proof = (doc.inclusion_proof || []).map(fromBase64);
  const root = await rootFromInclusion(await leafHash(entry), doc.leaf_index, doc.tree_size, proof);
  if (!equal(root, checkpoint.root)) fail("the inclusion proof does not lead to the checkpoint's root");
  let event;
  try {
    event = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(entry));
  } catch {
    fail("the entry is not a ledger event");
  }
  if (event.type !== "ResultSigned" || event.payload?.document_sha256 !== sha) {
    fail("the entry is not the signature of this document");
  }
  return {
    code: event.stream,
    signer: event.actor,
    signedAt: event.occurred_at,
    leafIndex: doc.leaf_index,
    treeSize: doc.tree_size,
    origin: checkpoint.origin,
  };
}
