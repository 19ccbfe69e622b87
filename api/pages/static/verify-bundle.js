// hoso: an evidence bundle (hoso-bundle/v2) checked in the browser (issue 18, point 5), on the
// same code as the result page (verify.js): the checkpoint's note signed by the log's key, every
// entry (the file's and the key registry's) proven under its root, every envelope's Ed25519
// signature by the key the registry gave its key id, each file event chained to the one
// before. What it does not check (keys' validity windows and roles, the rules replayed, the
// map of file heads) `hoso verify` does, offline; the page says so.
import { Refused, fromBase64, hex, openNote, parseCheckpoint, rootFromInclusion, sha256 }
  from "./verify.js";

const utf8 = new TextEncoder();
const CONTEXT = utf8.encode("hoso/envelope/v1\u0000");
const GENESIS = "0".repeat(64);

function fail(message) {
  throw new Refused(message);
}

// RFC 8785 for what envelopes hold (strings, integers, booleans, null, arrays, objects).
export function canonical(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  return "{" + Object.keys(value).sort()
    .map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
}

function without(env, ...names) {
  const copy = { ...env };
  for (const n of names) delete copy[n];
  return copy;
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function entries(list, root, size, what) {
  const out = [];
  for (const [n, item] of (list || []).entries()) {
    const entry = fromBase64(item.entry);
    const leaf = await sha256(concat(Uint8Array.of(0), entry));
    const proof = (item.inclusion_proof || []).map(fromBase64);
    let top;
    try {
      top = await rootFromInclusion(leaf, item.leaf_index, size, proof);
    } catch (e) {
      fail(`${what} ${n} (leaf ${item.leaf_index}): ${e.message}`);
    }
    if (!equal(top, root)) {
      fail(`${what} ${n} (leaf ${item.leaf_index}): its inclusion proof does not lead to the ` +
        "checkpoint's root");
    }
    let env;
    try {
      env = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(entry));
    } catch {
      fail(`${what} ${n} (leaf ${item.leaf_index}) is not a ledger event`);
    }
    out.push({ env, leaf: item.leaf_index });
  }
  return out;
}

async function signed(env, keys, where) {
  const publicKey = keys.get(env.key_id);
  if (!publicKey) fail(`${where}: key ${env.key_id} is not in the bundle's key registry`);
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false,
    ["verify"]);
  const message = concat(CONTEXT, utf8.encode(canonical(without(env, "sig", "recorded_at"))));
  if (!await crypto.subtle.verify("Ed25519", key, fromBase64(env.sig), message)) {
    fail(`${where}: the signature by ${env.actor} does not verify`);
  }
}

export async function verifyBundle(doc, vkey) {
  if (!doc || doc.format !== "hoso-bundle/v2") fail("not a hoso-bundle/v2 evidence bundle");
  const checkpoint = parseCheckpoint(await openNote(doc.checkpoint, vkey));
  if (checkpoint.origin !== doc.origin) fail("the checkpoint is of another log");
  const registry = await entries(doc.registry, checkpoint.root, checkpoint.size, "registry entry");
  const events = await entries(doc.entries, checkpoint.root, checkpoint.size, "event");
  if (!events.length) fail("the bundle holds no event of its file");
  const keys = new Map();
  for (const { env, leaf } of registry) {
    const p = env.payload || {};
    if (env.type === "RegistryEstablished") keys.set(p.key_id, fromBase64(p.public_key).slice(0));
    await signed(env, keys, `registry entry at leaf ${leaf}`);
    if (env.type === "KeyRegistered") keys.set(p.key_id, fromBase64(p.public_key));
  }
  let previous = GENESIS;
  for (const [n, { env, leaf }] of events.entries()) {
    const where = `${doc.file} version ${env.version} (leaf ${leaf})`;
    if (env.stream !== doc.file) fail(`leaf ${leaf} belongs to ${env.stream}, not ${doc.file}`);
    if (env.version !== n + 1) fail(`${where}: version ${env.version} where ${n + 1} was due`);
    if (env.prev_hash !== previous) fail(`${where}: the chain is broken (prev_hash)`);
    await signed(env, keys, where);
    previous = hex(await sha256(utf8.encode(canonical(without(env, "recorded_at")))));
  }
  return { file: doc.file, events: events.length, registry: registry.length,
    size: checkpoint.size };
}
