// peer.mjs — an independent ActivityPub server built with Fedify 1.5.9, used
// by test/interop to check that fedpress federates with software it did not
// write. Fedify verifies fedpress's HTTP signatures with its own code
// (skipSignatureVerification is false) and signs what it sends with its own
// code too.
//
//   node peer.mjs [PORT]          (or PEER_PORT=…; 0 or nothing = a free port)
//
// It listens on 127.0.0.1 only and prints "READY <port>" once listening.
// One actor: /users/peer (Person).  A JSON control API under /control/ lets
// the Go test act as a fediverse user would; it is for tests only.
//
// Environment: PEER_LOG_LEVEL (default "info": Fedify's info logs, plus the
// debug logs of its signature code, which say why a signature failed);
// PEER_AUTHORIZED_FETCH=0 serves notes and collections without a signed GET
// (by default they require one, as GoToSocial does; the actor never does,
// since servers fetch it to verify signatures). Either way the request log
// (GET /control/requests) says which key Fedify verified on each GET.

import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import process from "node:process";
import { Temporal } from "@js-temporal/polyfill";
import { configure, getConsoleSink } from "@logtape/logtape";
import {
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  Like,
  Mention,
  Note,
  Object as ASObject,
  Person,
  PUBLIC_COLLECTION,
  Tombstone,
  Undo,
  Update,
  createFederation,
  getTypeId,
  isActor,
  MemoryKvStore,
} from "@fedify/fedify";

const PORT = Number(process.argv[2] ?? process.env.PEER_PORT ?? 0);
const HOST = "127.0.0.1";
const ID = "peer"; // the one actor's identifier

// ---------------------------------------------------------------- logging

// The inbox record being processed, so that Fedify's log lines (notably the
// reason a signature failed) can be attached to the request that caused them.
const current = new AsyncLocalStorage();
// The request-log entry of the request being served.
const currentRequest = new AsyncLocalStorage();
const logs = []; // every Fedify log line kept, newest last (bounded)

function memorySink(record) {
  const line = {
    at: new Date(record.timestamp).toISOString(),
    level: record.level,
    category: record.category.join("."),
    message: record.message.map((m) => (typeof m === "string" ? m : safeString(m))).join(""),
  };
  logs.push(line);
  if (logs.length > 2000) logs.shift();
  const rec = current.getStore();
  if (rec != null) rec.logs.push(line);
}

function safeString(v) {
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (typeof v === "object") {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

const level = process.env.PEER_LOG_LEVEL ?? "info";
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { console: getConsoleSink(), memory: memorySink },
  loggers: [
    { category: "fedify", sinks: ["console", "memory"], lowestLevel: level },
    // Why a signature failed is only logged at debug level by Fedify.
    { category: ["fedify", "sig"], sinks: ["console", "memory"], lowestLevel: "debug", parentSinks: "override" },
    { category: ["logtape", "meta"], sinks: ["console"], lowestLevel: "warning" },
  ],
});

// ---------------------------------------------------------------- state

// RSA-2048 as Mastodon uses (Fedify's generateCryptoKeyPair makes 4096-bit
// keys, which take seconds to generate on a small CI machine).
const rsa = await crypto.subtle.generateKey(
  { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  true,
  ["sign", "verify"],
);
const ed = await crypto.subtle.generateKey("Ed25519", true, ["sign", "verify"]);

const inbox = []; // every POST to an inbox, in arrival order
const errors = []; // onError calls of the inbox listeners
const requests = []; // every HTTP request the peer served (bounded)
const notes = new Map(); // note uuid -> { note: Note, recipients: Actor[] }
const sent = new Map(); // activity id (href) -> compact JSON-LD, served at its id
const follows = new Map(); // target actor id -> Follow
const boosts = new Map(); // object id -> Announce
const likes = new Map(); // object id -> Like
let seq = 0;

// ---------------------------------------------------------------- Fedify

const origin = () => `http://${HOST}:${server.address().port}`;

const federation = createFederation({
  kv: new MemoryKvStore(),
  // No queue: sending happens inside the control call (errors come back to
  // the test) and inbox listeners run inside the request (fedpress sees the
  // status Fedify answers).
  allowPrivateAddress: true,
  skipSignatureVerification: false,
  userAgent: { software: "fedpress-interop-peer/0.0.0" },
});

// checkSignature notes in the request log which key, if any, Fedify
// verified on a GET. requireSignature also refuses a GET without one (as
// GoToSocial does for statuses). The actor itself stays readable without a
// signature: servers fetch it to get the key that verifies a signature, so
// requiring one there would lock out every server that does the same.
const authorizedFetch = process.env.PEER_AUTHORIZED_FETCH !== "0";
async function checkSignature(ctx) {
  const key = await ctx.getSignedKey();
  const owner = key == null ? null : await ctx.getSignedKeyOwner();
  const entry = currentRequest.getStore();
  if (entry != null) {
    entry.signedKey = key?.id?.href ?? null;
    entry.keyOwner = owner?.id?.href ?? null;
  }
  return key != null && owner != null;
}
async function requireSignature(ctx) {
  return (await checkSignature(ctx)) || !authorizedFetch;
}
async function recordSignature(ctx) {
  await checkSignature(ctx);
  return true;
}

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== ID) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify Peer",
      summary: "An independent ActivityPub server (Fedify 1.5.9) used by fedpress's interop test.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
      manuallyApprovesFollowers: false,
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === ID ? [rsa, ed] : []))
  .authorize(recordSignature);

federation
  .setFollowersDispatcher("/users/{identifier}/followers", () => ({ items: [] }))
  .authorize(requireSignature);

federation
  .setObjectDispatcher(Note, "/notes/{id}", (_ctx, { id }) => notes.get(id)?.note ?? null)
  .authorize(requireSignature);

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  // Fedify calls listeners only for activities whose signature it verified.
  .on(Activity, async (ctx, activity) => {
    const rec = ctx.data?.record;
    if (rec == null) return;
    rec.verified = true;
    rec.parsed = await describeActivity(activity, rec.json);
  })
  .onError((_ctx, error) => {
    const rec = current.getStore();
    errors.push({ at: new Date().toISOString(), seq: rec?.seq ?? null, error: safeString(error) });
  });

// describeActivity is what Fedify understood of an activity (as opposed to
// the raw JSON): its type IRI, actor, object ids and, when the object is
// embedded, the object's properties read through Fedify's vocabulary.
async function describeActivity(activity, json) {
  const d = {
    type: getTypeId(activity).href,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    objectIds: activity.objectIds.map((u) => u.href),
    to: activity.toIds.map((u) => u.href),
    cc: activity.ccIds.map((u) => u.href),
    object: null,
  };
  // Only read embedded objects: a bare id would make Fedify fetch it.
  if (json != null && typeof json.object === "object" && json.object !== null && !Array.isArray(json.object)) {
    try {
      const obj = await activity.getObject();
      if (obj != null) d.object = await describeObject(obj);
    } catch (e) {
      d.objectError = safeString(e);
    }
  }
  return d;
}

async function describeObject(obj) {
  const d = {
    type: getTypeId(obj).href,
    id: obj.id?.href ?? null,
  };
  if (obj instanceof Activity) {
    d.actor = obj.actorId?.href ?? null;
    d.objectIds = obj.objectIds.map((u) => u.href);
    return d;
  }
  const str = (v) => (v == null ? null : v.toString());
  d.name = str(obj.name);
  d.summary = str(obj.summary);
  d.content = str(obj.content);
  d.mediaType = obj.mediaType ?? null;
  d.url = obj.url == null ? null : obj.url instanceof URL ? obj.url.href : obj.url.href?.href ?? null;
  d.attributedTo = obj.attributionIds?.map((u) => u.href) ?? [];
  d.inReplyTo = obj.replyTargetId?.href ?? null;
  d.published = str(obj.published);
  d.updated = str(obj.updated);
  d.to = obj.toIds.map((u) => u.href);
  d.cc = obj.ccIds.map((u) => u.href);
  d.sensitive = obj.sensitive ?? null;
  d.attachments = [];
  try {
    for await (const a of obj.getAttachments({ documentLoader: refuseLoader })) {
      if (a instanceof URL) {
        d.attachments.push({ href: a.href });
        continue;
      }
      d.attachments.push({
        type: getTypeId(a).href,
        url: a.url == null ? null : a.url instanceof URL ? a.url.href : a.url.href?.href ?? null,
        mediaType: a.mediaType ?? null,
        name: str(a.name),
        width: a.width ?? null,
        height: a.height ?? null,
      });
    }
  } catch (e) {
    d.attachmentsError = safeString(e);
  }
  d.tags = [];
  try {
    for await (const t of obj.getTags({ documentLoader: refuseLoader })) {
      d.tags.push({ type: getTypeId(t).href, name: str(t.name), href: t.href?.href ?? null });
    }
  } catch (e) {
    d.tagsError = safeString(e);
  }
  return d;
}

// refuseLoader keeps describeObject from fetching anything.
function refuseLoader(url) {
  return Promise.reject(new Error(`not embedded, not fetched: ${url}`));
}

// ---------------------------------------------------------------- HTTP

const server = http.createServer(async (req, res) => {
  const started = Date.now();
  const entry = {
    at: new Date().toISOString(),
    method: req.method,
    url: req.url,
    accept: req.headers.accept ?? null,
    userAgent: req.headers["user-agent"] ?? null,
    signed: req.headers.signature != null || req.headers["signature-input"] != null,
    status: 0,
  };
  requests.push(entry);
  if (requests.length > 2000) requests.shift();
  await currentRequest.run(entry, () => serve(req, res, entry, started));
});

async function serve(req, res, entry, started) {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, `http://${req.headers.host ?? `${HOST}:${server.address().port}`}`);
    let response;
    if (url.pathname.startsWith("/control/")) {
      response = await control(req.method, url, body);
    } else if (url.pathname.startsWith("/activities/") && req.method === "GET") {
      const doc = sent.get(new URL(url.pathname, origin()).href);
      response = doc == null
        ? new Response("not found", { status: 404 })
        : new Response(JSON.stringify(doc), { headers: { "Content-Type": "application/activity+json" } });
    } else {
      response = await federate(req, url, body);
    }
    entry.status = response.status;
    const headers = {};
    response.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const out = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, headers);
    res.end(out);
  } catch (e) {
    entry.status = 500;
    console.error("peer: request failed:", e);
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end(String(e?.stack ?? e));
  } finally {
    entry.ms = Date.now() - started;
  }
}

function toRequest(req, url, body) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const init = { method: req.method, headers };
  if (req.method !== "GET" && req.method !== "HEAD") init.body = body;
  return new Request(url, init);
}

// federate hands a request to Fedify, recording inbox POSTs first so that
// failures (which Fedify answers with 4xx without calling any listener) are
// visible to the test too.
async function federate(req, url, body) {
  const isInbox = req.method === "POST" && (url.pathname === "/inbox" || /^\/users\/[^/]+\/inbox$/.test(url.pathname));
  if (!isInbox) return federation.fetch(toRequest(req, url, body), { contextData: {} });
  let json = null;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    // kept as null; Fedify answers 400
  }
  const pick = (h) => req.headers[h] ?? null;
  const rec = {
    seq: ++seq,
    at: new Date().toISOString(),
    path: url.pathname,
    sharedInbox: url.pathname === "/inbox",
    headers: {
      host: pick("host"),
      date: pick("date"),
      digest: pick("digest"),
      signature: pick("signature"),
      "signature-input": pick("signature-input"),
      "content-digest": pick("content-digest"),
      "content-type": pick("content-type"),
      "user-agent": pick("user-agent"),
    },
    type: json?.type ?? null,
    id: json?.id ?? null,
    actor: typeof json?.actor === "string" ? json.actor : json?.actor?.id ?? null,
    objectType: typeof json?.object === "object" && json.object !== null ? json.object.type ?? null : null,
    objectId: typeof json?.object === "string" ? json.object : json?.object?.id ?? null,
    json,
    raw: json == null ? body.toString("utf8").slice(0, 4000) : undefined,
    verified: false,
    parsed: null,
    status: 0,
    response: "",
    logs: [],
  };
  inbox.push(rec);
  const response = await current.run(rec, () => federation.fetch(toRequest(req, url, body), { contextData: { record: rec } }));
  rec.status = response.status;
  rec.response = (await response.clone().text()).slice(0, 2000);
  return response;
}

// ---------------------------------------------------------------- control API

function reply(status, obj) {
  return new Response(JSON.stringify(obj, null, 1), { status, headers: { "Content-Type": "application/json" } });
}

async function control(method, url, body) {
  let input = {};
  if (method === "POST" && body.length > 0) {
    try {
      input = JSON.parse(body.toString("utf8"));
    } catch (e) {
      return reply(400, { error: `bad JSON: ${e.message}` });
    }
  }
  const ctx = federation.createContext(new URL(origin()), {});
  const op = url.pathname.slice("/control/".length);
  try {
    switch (`${method} ${op}`) {
      case "GET state":
        return reply(200, {
          actor: ctx.getActorUri(ID).href,
          inbox: ctx.getInboxUri(ID).href,
          sharedInbox: ctx.getInboxUri().href,
          handle: `@${ID}@${new URL(origin()).host}`,
          follows: [...follows.keys()],
          authorizedFetch,
        });
      case "GET inbox": {
        const since = Number(url.searchParams.get("since") ?? 0);
        return reply(200, { inbox: inbox.filter((r) => r.seq > since), errors });
      }
      case "GET requests":
        return reply(200, { requests });
      case "GET logs":
        return reply(200, { logs });
      case "POST resolve":
        return reply(200, await resolve(input.handle));
      case "POST follow":
        return await doFollow(ctx, input);
      case "POST unfollow":
        return await doUnfollow(ctx, input);
      case "POST reply":
        return await doReply(ctx, input);
      case "POST reply-edit":
        return await doReplyEdit(ctx, input);
      case "POST delete":
        return await doDelete(ctx, input);
      case "POST boost":
        return await doBoost(ctx, input);
      case "POST unboost":
        return await doUndo(ctx, input, boosts, "boost");
      case "POST like":
        return await doLike(ctx, input);
      case "POST unlike":
        return await doUndo(ctx, input, likes, "like");
      case "POST fetch":
        return await doFetch(ctx, input);
      default:
        return reply(404, { error: `no control operation ${method} ${op}` });
    }
  } catch (e) {
    console.error(`peer: control ${op} failed:`, e);
    return reply(502, { error: safeString(e), stack: e?.stack ?? null });
  }
}

// resolve does WebFinger over plain http with fetch(): Fedify 1.5's own
// WebFinger client always uses https, which a loopback test server lacks.
async function resolve(handle) {
  const m = /^@?([^@]+)@([^@]+)$/.exec(String(handle ?? ""));
  if (m == null) throw new Error(`not a handle: ${handle}`);
  const [, user, host] = m;
  const wf = `http://${host}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${user}@${host}`)}`;
  const res = await fetch(wf, { headers: { Accept: "application/jrd+json, application/json" } });
  const text = await res.text();
  let jrd = null;
  try {
    jrd = JSON.parse(text);
  } catch {
    // left null
  }
  const self = jrd?.links?.find(
    (l) => l.rel === "self" && (l.type === "application/activity+json" || /^application\/ld\+json/.test(l.type ?? "")),
  );
  return {
    url: wf,
    status: res.status,
    contentType: res.headers.get("content-type"),
    jrd,
    body: jrd == null ? text.slice(0, 2000) : undefined,
    self: self?.href ?? null,
  };
}

// signedLoader fetches as the peer, with Fedify's HTTP signatures.
function signedLoader(ctx) {
  return ctx.getDocumentLoader({ identifier: ID });
}

// lookupActor fetches an actor with a signed GET and reads it with Fedify's
// vocabulary; errors say what the server answered. Actors are kept for the
// run (Fedify's JSON-LD processing is slow, and they do not change here).
const actors = new Map();
async function lookupActor(ctx, target) {
  const key = String(target);
  if (actors.has(key)) return actors.get(key);
  const obj = await fetchObject(ctx, key);
  if (!isActor(obj)) throw new Error(`${target} is not an actor: it is a ${getTypeId(obj).href}`);
  actors.set(key, obj);
  actors.set(obj.id.href, obj);
  return obj;
}

// fetchObject GETs url with the peer's signature and parses it.
async function fetchObject(ctx, url) {
  const loader = await signedLoader(ctx);
  const doc = await loader(url); // throws FetchError "HTTP 404: url" and the like
  return await ASObject.fromJsonLd(doc.document, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader });
}

function actorSummary(a) {
  return {
    id: a.id?.href ?? null,
    type: getTypeId(a).href,
    preferredUsername: a.preferredUsername?.toString() ?? null,
    name: a.name?.toString() ?? null,
    inbox: a.inboxId?.href ?? null,
    sharedInbox: a.endpoints?.sharedInbox?.href ?? null,
    followers: a.followersId?.href ?? null,
    publicKey: a.publicKeyId?.href ?? null,
    url: a.url == null ? null : a.url instanceof URL ? a.url.href : a.url.href?.href ?? null,
  };
}

function newId(kind) {
  return new URL(`/activities/${kind}/${randomUUID()}`, origin());
}

// send delivers activity to the recipients; the compact JSON-LD Fedify would
// produce is kept and served at the activity's id.
async function send(ctx, recipients, activity, { sharedInbox = false } = {}) {
  sent.set(activity.id.href, await activity.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }));
  await ctx.sendActivity({ identifier: ID }, recipients, activity, { preferSharedInbox: sharedInbox, immediate: true });
  return sent.get(activity.id.href);
}

async function doFollow(ctx, { target }) {
  const actor = await lookupActor(ctx, target);
  const follow = new Follow({ id: newId("follow"), actor: ctx.getActorUri(ID), object: actor.id, to: actor.id });
  const json = await send(ctx, actor, follow);
  follows.set(actor.id.href, follow);
  return reply(200, { id: follow.id.href, actor: actorSummary(actor), activity: json });
}

async function doUnfollow(ctx, { target }) {
  const actor = await lookupActor(ctx, target);
  const follow = follows.get(actor.id.href);
  if (follow == null) return reply(400, { error: `not following ${actor.id.href}` });
  const undo = new Undo({ id: newId("undo"), actor: ctx.getActorUri(ID), object: follow, to: actor.id });
  const json = await send(ctx, actor, undo);
  follows.delete(actor.id.href);
  return reply(200, { id: undo.id.href, activity: json });
}

// audience works out to/cc for a visibility, Mastodon style.
function audience(ctx, visibility, mentioned) {
  const followers = ctx.getFollowersUri(ID);
  const ids = mentioned.map((a) => a.id);
  switch (visibility ?? "public") {
    case "public":
      return { to: [PUBLIC_COLLECTION], cc: [followers, ...ids] };
    case "unlisted":
      return { to: [followers], cc: [PUBLIC_COLLECTION, ...ids] };
    case "followers":
      return { to: [followers], cc: ids };
    case "direct":
      return { to: ids, cc: [] };
    default:
      throw new Error(`unknown visibility ${visibility}`);
  }
}

function handleOf(a) {
  return `@${a.preferredUsername?.toString() ?? "unknown"}@${a.id.host}`;
}

function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// noteContent is HTML as GoToSocial and Mastodon write it: the mentions as
// h-card links first, then the text.
function noteContent(mentioned, text) {
  const cards = mentioned
    .map((a) => {
      const href = a.url == null ? a.id.href : a.url instanceof URL ? a.url.href : a.url.href?.href ?? a.id.href;
      return `<span class="h-card"><a href="${escapeHTML(href)}" class="u-url mention">@<span>${escapeHTML(a.preferredUsername?.toString() ?? "")}</span></a></span>`;
    })
    .join(" ");
  return `<p>${cards}${cards ? " " : ""}${escapeHTML(text)}</p>`;
}

// doReply posts a Note in reply to inReplyTo, mentioning the target actor(s)
// and delivering to them (their shared inbox when sharedInbox is set;
// nowhere when deliver is false).
async function doReply(ctx, input) {
  const targets = [input.target ?? [], input.mention ?? []].flat().filter(Boolean);
  if (targets.length === 0) throw new Error("reply needs target (an actor URL)");
  const mentioned = [];
  for (const t of [...new Set(targets)]) mentioned.push(await lookupActor(ctx, t));
  const uuid = randomUUID();
  const noteId = new URL(`/notes/${uuid}`, origin());
  const { to, cc } = audience(ctx, input.visibility, mentioned);
  const now = Temporal.Now.instant();
  const note = new Note({
    id: noteId,
    url: noteId,
    attribution: ctx.getActorUri(ID),
    replyTarget: input.inReplyTo ? new URL(input.inReplyTo) : null,
    content: noteContent(mentioned, input.content ?? ""),
    published: now,
    tos: to,
    ccs: cc,
    tags: mentioned.map((a) => new Mention({ href: a.id, name: handleOf(a) })),
    summary: input.summary ?? null,
    sensitive: input.summary ? true : false,
  });
  notes.set(uuid, { note, recipients: mentioned, sharedInbox: input.sharedInbox === true, text: input.content ?? "" });
  const create = new Create({
    id: new URL(`${noteId.href}/activity`),
    actor: ctx.getActorUri(ID),
    object: note,
    published: now,
    tos: to,
    ccs: cc,
  });
  // deliver: false only publishes the note at its id, for a later reply
  // whose parent the receiver must fetch.
  if (input.deliver === false) {
    sent.set(create.id.href, await create.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }));
    return reply(200, { id: noteId.href, delivered: false });
  }
  const json = await send(ctx, mentioned, create, { sharedInbox: input.sharedInbox === true });
  return reply(200, { id: noteId.href, activity: json });
}

function noteByID(id) {
  const m = /\/notes\/([^/?#]+)$/.exec(String(id ?? ""));
  const n = m == null ? null : notes.get(m[1]);
  if (n == null) throw new Error(`no note ${id}`);
  return { uuid: m[1], ...n };
}

async function doReplyEdit(ctx, { id, content }) {
  const n = noteByID(id);
  const now = Temporal.Now.instant();
  const note = n.note.clone({ content: noteContent(n.recipients, content ?? ""), updated: now });
  notes.set(n.uuid, { ...n, note, text: content });
  const update = new Update({
    id: new URL(`${note.id.href}#update-${Date.now()}`),
    actor: ctx.getActorUri(ID),
    object: note,
    published: now,
    tos: note.toIds,
    ccs: note.ccIds,
  });
  const json = await send(ctx, n.recipients, update, { sharedInbox: n.sharedInbox });
  return reply(200, { id: note.id.href, activity: json });
}

async function doDelete(ctx, { id }) {
  const n = noteByID(id);
  notes.delete(n.uuid);
  const del = new Delete({
    id: new URL(`${n.note.id.href}#delete`),
    actor: ctx.getActorUri(ID),
    object: new Tombstone({ id: n.note.id }),
    tos: n.note.toIds,
    ccs: n.note.ccIds,
  });
  const json = await send(ctx, n.recipients, del, { sharedInbox: n.sharedInbox });
  return reply(200, { id: n.note.id.href, activity: json });
}

// recipientsFor is who hears about a boost or like of object: its
// attributedTo actors (fetched with a signed GET) plus input.to.
async function recipientsFor(ctx, object, extra) {
  const obj = await fetchObject(ctx, String(object));
  const ids = new Set([...(obj.attributionIds ?? []).map((u) => u.href), ...[extra ?? []].flat()]);
  const actors = [];
  for (const id of ids) actors.push(await lookupActor(ctx, id));
  if (actors.length === 0) throw new Error(`${object} has no attributedTo and no "to" was given`);
  return { obj, actors };
}

async function doBoost(ctx, { object, to, sharedInbox = true }) {
  const { actors } = await recipientsFor(ctx, object, to);
  const now = Temporal.Now.instant();
  const announce = new Announce({
    id: newId("announce"),
    actor: ctx.getActorUri(ID),
    object: new URL(object),
    published: now,
    to: PUBLIC_COLLECTION,
    ccs: [ctx.getFollowersUri(ID), ...actors.map((a) => a.id)],
  });
  const json = await send(ctx, actors, announce, { sharedInbox });
  boosts.set(String(object), { activity: announce, actors, sharedInbox });
  return reply(200, { id: announce.id.href, recipients: actors.map(actorSummary), activity: json });
}

async function doLike(ctx, { object, to, sharedInbox = false }) {
  const { actors } = await recipientsFor(ctx, object, to);
  const like = new Like({ id: newId("like"), actor: ctx.getActorUri(ID), object: new URL(object), to: actors[0].id });
  const json = await send(ctx, actors, like, { sharedInbox });
  likes.set(String(object), { activity: like, actors, sharedInbox });
  return reply(200, { id: like.id.href, recipients: actors.map(actorSummary), activity: json });
}

async function doUndo(ctx, { object }, map, what) {
  const done = map.get(String(object));
  if (done == null) return reply(400, { error: `no ${what} of ${object}` });
  const undo = new Undo({
    id: newId("undo"),
    actor: ctx.getActorUri(ID),
    object: done.activity,
    tos: done.activity.toIds,
    ccs: done.activity.ccIds,
  });
  const json = await send(ctx, done.actors, undo, { sharedInbox: done.sharedInbox });
  map.delete(String(object));
  return reply(200, { id: undo.id.href, activity: json });
}

// doFetch GETs url. signed (default): through Fedify's authenticated document
// loader, then parsed by Fedify's vocabulary. Otherwise a plain fetch() with
// the given Accept header (default application/activity+json).
async function doFetch(ctx, { url, signed = true, accept }) {
  if (!signed) {
    const res = await fetch(url, { headers: { Accept: accept ?? "application/activity+json" }, redirect: "manual" });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    return reply(200, {
      status: res.status,
      contentType: res.headers.get("content-type"),
      vary: res.headers.get("vary"),
      location: res.headers.get("location"),
      json,
      body: json == null ? text.slice(0, 4000) : undefined,
    });
  }
  const loader = await signedLoader(ctx);
  let doc;
  try {
    doc = await loader(url);
  } catch (e) {
    return reply(200, { ok: false, error: safeString(e) });
  }
  let parsed = null;
  let parseError = null;
  try {
    const obj = await ASObject.fromJsonLd(doc.document, { documentLoader: refuseLoader, contextLoader: ctx.contextLoader });
    parsed = isActor(obj) ? actorSummary(obj) : await describeObject(obj);
  } catch (e) {
    parseError = safeString(e);
  }
  return reply(200, { ok: true, documentUrl: doc.documentUrl, json: doc.document, parsed, parseError });
}

// ---------------------------------------------------------------- start

server.listen(PORT, HOST, () => {
  console.log(`READY ${server.address().port}`);
});
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
