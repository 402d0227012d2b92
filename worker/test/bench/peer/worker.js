// The JavaScript peer of `make bench`: what most teams would write for the
// same product, to measure the Go worker against on the same workerd.
//
// A plain ES-module Worker with jose for the tokens (EdDSA / Ed25519 JWTs with
// a kid, the claims of internal/token) over the KV layout of
// internal/store/doc.go, for the routes the bench drives:
//
//   POST /v1/users/authenticate            apikey/{sha256hex} -> org; get+put user/{org}/{h(idkey)}; sign
//   POST /v1/widget/contacts               widget/{pk} -> org (once per isolate); get device/{org}/{h(device)}, then the contact
//                                          (contactid/) or, for a new device, the layout of before (contact/)
//                                          and the tombstone of its derived contact id (gone/);
//                                          put contactid/ and device/ when new; sign
//   POST /v1/widget/sessions               widget/{pk}; verify (+ revoked/ and orgkey/ for verified; contactid/ for contacts);
//                                          put sessions/ (the record, in the org's listing) + owned/ (setup of the bench, and an extra row)
//   GET  /v1/widget/sessions               widget/{pk}; verify (+ revoked/, orgkey/); one list of owned/{org}/{h(principal)}/
//   POST /v1/widget/sessions/{id}/messages widget/{pk}; verify (+ revoked/, orgkey/); get sessions/; with an Idempotency-Key
//                                          (the bench sends one, as the widget does) get, then put, idem/{org}/p/{h(principal)}/;
//                                          put msg/, then the session record (sessions/) and its owner's listing key
//   GET  /.well-known/jwks.json            the public keys
//   POST /bench/seed                       (admin token) stores an org made by the Go worker's admin API:
//                                          org/, widget/, apikey/, orgkey/, origin/, as store.CreateOrg does
//
// It validates about as deeply as the Go worker (JSON, field types and limits,
// UUID v4 device ids, emails, custom data), sets the same response headers,
// and makes the same KV calls in the same order (parallel where the Go worker
// runs them in parallel). Rate limits are counted, as the Go worker's, by
// Cloudflare's Rate Limiting bindings (the same [[ratelimits]] in its
// wrangler.toml), never in KV; a RATE_LIMIT_* var of "0" turns one off, as
// the bench does for both workers. Left out because the bench does not use
// them: idempotency keys on POST /v1/widget/sessions.
import { SignJWT, jwtVerify, importJWK, errors as joseErrors } from "jose";

const MAX_BODY = 64 << 10;
const LEEWAY_S = 30;
const DEFAULT_TTL_S = 24 * 60 * 60;
const LIST_LIMIT_KV = 1000; // what the Go store asks KV for per page
const MAX_META = 1024;

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
};

class ApiError extends Error {
  constructor(status, code, message, headers) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}
const invalid = (field, why) => new ApiError(400, "invalid_request", `${field} ${why}`);
const unauthorized = (m) => new ApiError(401, "unauthorized", m);
const invalidToken = (m = "The user token is not valid.") => new ApiError(401, "invalid_token", m);
const notFound = () => new ApiError(404, "not_found", "Not found.");

// ---- encoding helpers ----

const enc = new TextEncoder();

function b64url(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function sha256(s) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(s)));
}

// hashKey: the unpadded base64url SHA-256 of parts joined by NUL (store.hashKey).
async function hashKey(...parts) {
  return b64url(await sha256(parts.join("\x00")));
}

async function sha256hex(s) {
  const b = await sha256(s);
  let h = "";
  for (const x of b) h += x.toString(16).padStart(2, "0");
  return h;
}

// Go marshals time.Time as RFC 3339 with trailing zeros of the fraction dropped.
function rfc3339(ms) {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z").replace(/(\.\d*?)0+Z$/, "$1Z");
}

function randomToken(prefix, n) {
  return prefix + b64url(crypto.getRandomValues(new Uint8Array(n)));
}

// ---- ids: UUID v7, strictly increasing per isolate (store.newV7) ----

let lastV7 = "";

function uuidv7() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  let h = "";
  for (const x of b) h += x.toString(16).padStart(2, "0");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function nextID(id) {
  const b = id.split("");
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] === "-" || i === 14 || i === 19) continue;
    if (b[i] === "f") {
      b[i] = "0";
      continue;
    }
    b[i] = b[i] === "9" ? "a" : String.fromCharCode(b[i].charCodeAt(0) + 1);
    return b.join("");
  }
  return id;
}

function newV7(after = "") {
  let id = uuidv7();
  const floor = lastV7 > after ? lastV7 : after;
  if (id <= floor) id = nextID(floor);
  lastV7 = id;
  return id;
}

const INV = { 0: "f", 1: "e", 2: "d", 3: "c", 4: "b", 5: "a", 6: "9", 7: "8", 8: "7", 9: "6", a: "5", b: "4", c: "3", d: "2", e: "1", f: "0" };
const invert = (id) => id.replace(/[0-9a-f]/g, (c) => INV[c]);

// ---- validation (internal/identity/validate.go, roughly as deep) ----

const CONTROL = /\p{Cc}/u;
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const chars = (s) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

function optString(body, field) {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalid(field, "must be a string.");
  return v;
}

function validateName(field, s, max = 200) {
  s = s.trim();
  const n = chars(s);
  if (n > max) throw invalid(field, `must be at most ${max} characters (got ${n}).`);
  if (CONTROL.test(s)) throw invalid(field, "must not contain control characters.");
  return s;
}

function validateIdentifier(field, s) {
  if (s === "") throw invalid(field, "must not be empty.");
  const n = chars(s);
  if (n > 256) throw invalid(field, `must be at most 256 characters (got ${n}).`);
  if (!PRINTABLE.test(s)) throw invalid(field, "must contain only printable characters.");
  return s;
}

const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;

function normalizeEmail(field, s) {
  s = s.trim();
  const bad = (why) => new ApiError(400, "invalid_email", `${field} ${why}`);
  if (s === "") throw bad("must not be empty.");
  if (chars(s) > 254) throw bad("must be at most 254 characters.");
  const at = s.lastIndexOf("@");
  const local = s.slice(0, at), domain = s.slice(at + 1);
  if (at <= 0 || local.length > 64 || !EMAIL_LOCAL.test(local) || domain.length > 253 || !domain.includes(".")) {
    throw bad("is not a valid email address.");
  }
  for (const label of domain.split(".")) {
    if (label.length > 63 || !DOMAIN_LABEL.test(label)) throw bad("is not a valid email address.");
  }
  return s;
}

function depth(v) {
  if (v === null || typeof v !== "object") return 0;
  let d = 0;
  for (const x of Object.values(v)) d = Math.max(d, depth(x));
  return d + 1;
}

function parseCustomData(field, v) {
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw invalid(field, "must be a JSON object.");
  const keys = Object.keys(v);
  if (keys.length > 50) throw invalid(field, `must have at most 50 keys (got ${keys.length}).`);
  const d = depth(v);
  if (d > 3) throw invalid(field, `must be nested at most 3 levels (got ${d}).`);
  const size = enc.encode(JSON.stringify(v)).length;
  if (size > 8 << 10) throw invalid(field, `must be at most 8 KiB serialized (got ${size} bytes).`);
  if (keys.some((k) => k === "")) throw invalid(field, "keys must be non-empty UTF-8 strings.");
  return v;
}

function validateURL(field, s) {
  let u;
  try {
    u = new URL(s);
  } catch {
    throw invalid(field, "must be an absolute http or https URL.");
  }
  if (s.length > 2048 || (u.protocol !== "https:" && u.protocol !== "http:") || !u.host || CONTROL.test(s)) {
    throw invalid(field, "must be an absolute http or https URL.");
  }
}

function validateContent(field, s) {
  if (s.trim() === "") throw invalid(field, "must not be empty.");
  const n = chars(s);
  if (n > 10000) throw invalid(field, `must be at most 10000 characters (got ${n}).`);
}

function validSecretShape(s, prefix, min) {
  return typeof s === "string" && s.length >= prefix.length + min && s.length <= 200 && s.startsWith(prefix) &&
    /^[A-Za-z0-9_-]+$/.test(s.slice(prefix.length));
}

// ---- request helpers ----

async function readJSON(req) {
  return (await readJSONText(req)).v;
}

// readJSONText is readJSON, with the body's text too.
async function readJSONText(req) {
  const cl = Number(req.headers.get("Content-Length"));
  if (cl > MAX_BODY) throw new ApiError(413, "payload_too_large", "The request body is larger than 64 KiB.");
  const text = await req.text();
  if (enc.encode(text).length > MAX_BODY) throw new ApiError(413, "payload_too_large", "The request body is larger than 64 KiB.");
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json", "The request body is not valid JSON.");
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ApiError(400, "invalid_request", "The request body must be a JSON object.");
  }
  return { v, text };
}

function bearer(req) {
  const h = req.headers.get("Authorization") || "";
  const i = h.indexOf(" ");
  if (i < 0 || h.slice(0, i).toLowerCase() !== "bearer") return "";
  return h.slice(i + 1).trim();
}

function respond(status, body, extra) {
  const h = new Headers(SECURITY_HEADERS);
  h.set("Content-Type", "application/json; charset=utf-8");
  h.set("Cache-Control", "no-store");
  if (extra) for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return new Response(body === null ? null : JSON.stringify(body), { status, headers: h });
}

// ---- keys and tokens (internal/token) ----

// PKCS #8 wrapping of a 32-byte Ed25519 seed (RFC 8410).
const PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

let ringPromise; // the key ring, parsed once per isolate

async function loadRing(spec) {
  const entries = (spec || "").split(/[\s,]+/).filter(Boolean);
  if (!entries.length) throw new Error("SIGNING_KEYS is not set");
  const keys = [];
  for (const entry of entries) {
    const i = entry.indexOf(":");
    const kid = entry.slice(0, i), seed = unb64url(entry.slice(i + 1).replace(/=+$/, ""));
    if (i <= 0 || seed.length !== 32) throw new Error("SIGNING_KEYS: bad entry");
    const der = new Uint8Array([...PKCS8_PREFIX, ...seed]);
    const priv = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", priv);
    const pub = await importJWK({ kty: "OKP", crv: "Ed25519", x: jwk.x }, "EdDSA");
    keys.push({ kid, priv, pub, x: jwk.x });
  }
  const byKid = new Map(keys.map((k) => [k.kid, k.pub]));
  const jwks = JSON.stringify({ keys: keys.map((k) => ({ kty: "OKP", crv: "Ed25519", x: k.x, kid: k.kid, alg: "EdDSA", use: "sig" })) });
  return { signer: keys[0], byKid, jwks };
}

function ring(env) {
  if (!ringPromise) {
    ringPromise = loadRing(env.SIGNING_KEYS);
    ringPromise.catch(() => (ringPromise = undefined));
  }
  return ringPromise;
}

const issuer = (env) => (env.TOKEN_ISSUER || "").trim() || "chat-identity";

async function issue(env, claims, sub, aud, ttlSeconds) {
  const { signer } = await ring(env);
  const now = Date.now();
  const iat = Math.floor(now / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({ ...claims, iat_ms: now })
    .setProtectedHeader({ alg: "EdDSA", kid: signer.kid, typ: "JWT" })
    .setIssuer(issuer(env))
    .setSubject(sub)
    .setAudience([aud]) // golang-jwt writes a one-element aud as an array
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(crypto.randomUUID())
    .sign(signer.priv);
  return { token, expiresAt: rfc3339(exp * 1000) };
}

// verify checks a user token of org the way token.Service.Verify does.
async function verify(env, raw, orgID) {
  if (!raw || raw.length > 8 << 10) throw invalidToken();
  const { byKid } = await ring(env);
  let payload;
  try {
    ({ payload } = await jwtVerify(raw, (header) => {
      const k = byKid.get(header.kid);
      if (!k) throw new joseErrors.JWKSNoMatchingKey();
      if (header.typ !== undefined && String(header.typ).toUpperCase() !== "JWT") throw new joseErrors.JOSEError("typ");
      return k;
    }, {
      algorithms: ["EdDSA"],
      issuer: issuer(env),
      audience: orgID,
      clockTolerance: LEEWAY_S,
      requiredClaims: ["sub", "jti", "exp", "iat", "aud"],
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw new ApiError(401, "token_expired", "The user token has expired.");
    if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === "aud") throw invalidToken("The user token was issued for another org.");
    throw invalidToken();
  }
  const p = payload;
  const contactShape = p.kind === "contact" && p.cid && !p.external_id && !p.uid && !p.email;
  const verifiedShape = p.kind === "verified" && !p.cid;
  if (!contactShape && !verifiedShape) throw invalidToken();
  if (p.iat_ms !== undefined && Math.floor(p.iat_ms / 1000) !== p.iat) throw invalidToken();
  if (!(p.exp > p.iat) || p.iat > Date.now() / 1000 + LEEWAY_S) throw invalidToken();
  return p;
}

// ---- org, principal ----

// Orgs never change once written: kept per isolate by widget token, as the Go
// worker's store keeps them (at most 1,024; unknown tokens are not kept).
const orgs = new Map();

async function orgByWidgetToken(env, req) {
  const pk = req.headers.get("X-Widget-Token") || "";
  if (!pk) throw unauthorized("The X-Widget-Token header is required.");
  if (!validSecretShape(pk, "pk_", 24)) throw unauthorized("The widget token is not valid.");
  let org = orgs.get(pk);
  if (!org) {
    org = await env.CHAT_KV.get("widget/" + pk, "json");
    if (!org || org.widget_token !== pk) throw unauthorized("The widget token is not valid.");
    if (orgs.size >= 1024) orgs.delete(orgs.keys().next().value);
    orgs.set(pk, org);
  }
  const origin = req.headers.get("Origin");
  if (origin && !(org.allowed_origins || []).includes(origin.toLowerCase())) {
    throw new ApiError(403, "origin_not_allowed", "This origin is not allowed for the widget token.");
  }
  return org;
}

async function principalOf(env, req, org) {
  const raw = bearer(req);
  if (!raw) throw unauthorized("A user token is required: Authorization: Bearer <user token>.");
  const c = await verify(env, raw, org.id);
  const p = { orgID: org.id, kind: c.kind, subject: c.sub, contactID: c.cid || "", userID: c.uid || "", email: c.email || "", externalID: c.external_id || "" };
  if (c.kind === "contact") {
    if (!c.cid || c.sub !== c.cid) throw invalidToken();
    p.key = "c:" + p.subject;
    // An erased person's tokens are refused (store.goneKey).
    if ((await env.CHAT_KV.get(`gone/${org.id}/${await hashKey("gone", p.key)}`)) !== null) {
      throw new ApiError(401, "token_revoked", "The user token has been revoked.");
    }
  } else {
    if (!c.akid || c.sub !== identityKey(c.uid || "", c.email || "")) throw invalidToken();
    const [revoked, key, gone] = await Promise.all([
      env.CHAT_KV.get(`revoked/${org.id}/${await hashKey("identity", c.sub)}`),
      env.CHAT_KV.get(`orgkey/${org.id}/${c.akid}`),
      env.CHAT_KV.get(`gone/${org.id}/${await hashKey("gone", c.sub)}`, "json"),
    ]);
    if (key === null) throw new ApiError(401, "token_revoked", "The user token has been revoked.");
    if (gone !== null && Date.parse(gone.at) >= (c.iat_ms ?? c.iat * 1000)) {
      throw new ApiError(401, "token_revoked", "The user token has been revoked.");
    }
    if (revoked !== null) {
      const t = Date.parse(revoked);
      const issued = c.iat_ms ?? c.iat * 1000;
      if (Number.isNaN(t) || issued <= t) throw new ApiError(401, "token_revoked", "The user token has been revoked.");
    }
    p.key = p.subject;
  }
  return p;
}

function ownerOf(p, claimedEmail) {
  if (p.kind === "verified") {
    const o = { key: p.key, verified: true };
    if (p.userID) o.user_id = p.userID;
    if (p.email) o.email = p.email;
    return o;
  }
  const o = { key: p.key, verified: false };
  if (claimedEmail) o.email = claimedEmail;
  o.contact_id = p.subject;
  return o;
}

// asciiLower lower-cases ASCII letters only (identity.FoldEmail).
const asciiLower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

// identityKey is identity.KeyOf(...).String().
const identityKey = (uid, email) => (uid ? "u:" + uid : email ? "e:" + asciiLower(email) : "");

// scopeExternalID is identity.ScopeExternalID (rule 4).
function scopeExternalID(p, requested) {
  if (p.externalID) {
    if (requested !== undefined && requested !== p.externalID) {
      throw new ApiError(403, "external_id_mismatch", "external_id does not match the one signed into the user token.");
    }
    return p.externalID;
  }
  if (requested === undefined) return "";
  return validateIdentifier("external_id", requested);
}

function canSee(p, rec) {
  if (!rec || !rec.s || !rec.o || rec.o.key !== p.key || rec.o.verified !== (p.kind === "verified")) return false;
  return !p.externalID || (rec.s.external_id ?? "") === p.externalID;
}

// writeSession puts the session record (its key in the org's listing) and its
// owner's listing key, at once.
async function writeSession(env, orgID, sess, owner) {
  const record = JSON.stringify({ s: sess, o: owner });
  let meta = record;
  if (enc.encode(meta).length > MAX_META) {
    const partial = { o: owner, p: true };
    if (sess.external_id !== null) partial.x = sess.external_id;
    meta = JSON.stringify(partial);
    if (enc.encode(meta).length > MAX_META) meta = '{"p":true}';
  }
  const metadata = JSON.parse(meta);
  const inv = invert(sess.id);
  const ownerPrefix = `owned/${orgID}/${await hashKey(owner.key)}/`;
  await Promise.all([
    env.CHAT_KV.put(`sessions/${orgID}/${inv}`, record, { metadata }),
    env.CHAT_KV.put(ownerPrefix + inv, "", { metadata }),
  ]);
}

const nullable = (s) => (s ? s : null);

// ---- routes ----

async function authenticate(req, env) {
  const secret = bearer(req);
  if (!secret) throw unauthorized("An api key is required: Authorization: Bearer <api key>.");
  if (!validSecretShape(secret, "sk_", 32)) throw unauthorized("The api key is not valid.");
  const hash = await sha256hex(secret);
  const key = await env.CHAT_KV.get("apikey/" + hash, "json");
  if (!key || key.hash !== hash) throw unauthorized("The api key is not valid.");
  const orgID = key.org_id;

  const body = await readJSON(req);
  const uidIn = optString(body, "user_id"), emailIn = optString(body, "email");
  const uid = uidIn ? validateIdentifier("user_id", uidIn) : "";
  const email = emailIn ? normalizeEmail("email", emailIn) : "";
  if (!uid && !email) throw invalid("user_id", "or email is required.");
  const idKey = identityKey(uid, email);
  const nameIn = optString(body, "name");
  const name = nameIn === undefined ? undefined : validateName("name", nameIn);
  const avatar = optString(body, "avatar_url");
  if (avatar) validateURL("avatar_url", avatar);
  const phone = optString(body, "phone");
  if (phone !== undefined && (chars(phone) > 64 || CONTROL.test(phone))) throw invalid("phone", "must be at most 64 printable characters.");
  const custom = parseCustomData("custom_data", body.custom_data);
  const extIn = optString(body, "external_id");
  const externalID = extIn ? validateIdentifier("external_id", extIn) : "";
  let ttl = DEFAULT_TTL_S;
  if (body.ttl_seconds !== undefined && body.ttl_seconds !== null) {
    if (!Number.isInteger(body.ttl_seconds)) throw invalid("ttl_seconds", "must be a whole number.");
    if (body.ttl_seconds < 60 || body.ttl_seconds > 2592000) throw invalid("ttl_seconds", "must be from 60 to 2592000.");
    ttl = body.ttl_seconds;
  }

  const userKey = `user/${orgID}/${await hashKey("identity", idKey)}`;
  const now = rfc3339(Date.now());
  const u = (await env.CHAT_KV.get(userKey, "json")) || {
    id: crypto.randomUUID(), org_id: orgID, user_id: "", email: "", name: "", avatar_url: "", phone: "",
    custom_data: null, external_id: "", created_at: now, updated_at: now,
  };
  u.user_id = uid;
  if (email) u.email = email;
  if (name !== undefined) u.name = name;
  if (avatar !== undefined) u.avatar_url = avatar;
  if (phone !== undefined) u.phone = phone;
  if (custom !== null) u.custom_data = custom;
  u.external_id = externalID;
  u.updated_at = now;
  await env.CHAT_KV.put(userKey, JSON.stringify(u));

  const claims = { kind: "verified", akid: key.id };
  if (externalID) claims.external_id = externalID;
  if (uid) claims.uid = uid;
  if (email) claims.email = asciiLower(email);
  const { token, expiresAt } = await issue(env, claims, idKey, orgID, ttl);
  return respond(200, {
    token,
    expires_at: expiresAt,
    user: {
      id: u.id, user_id: nullable(u.user_id), email: nullable(u.email), name: nullable(u.name),
      avatar_url: nullable(u.avatar_url), phone: nullable(u.phone), custom_data: u.custom_data,
      external_id: nullable(u.external_id), verified: true,
    },
  });
}

// limit spends one request of key under the binding of scope, as
// internal/api's Limiter does: in order, the first refusal a 429 whose
// Retry-After is the bindings' period.
const RATE_SCOPES = {
  "contact-device": "CONTACTS_PER_DEVICE", "contact-ip": "CONTACTS_PER_IP",
  "msg-principal": "MESSAGES_PER_DEVICE", "msg-ip": "MESSAGES_PER_IP",
};
async function limit(env, ...keys) {
  for (const key of keys) {
    const name = RATE_SCOPES[key.slice(0, key.indexOf("/"))];
    const binding = env["RL_" + name];
    if (env["RATE_LIMIT_" + name] === "0" || !binding) continue;
    const hashed = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(key))).slice(0, 18));
    let ok = true;
    try {
      ({ success: ok } = await binding.limit({ key: hashed }));
    } catch {
      ok = true; // a limiter that cannot count lets the request through
    }
    if (!ok) throw new ApiError(429, "rate_limited", "Too many requests; retry later.", { "Retry-After": String(Number(env.RATE_LIMIT_WINDOW_SECONDS) || 60) });
  }
}

// newContactID: a device's new contact id, derived from the org and the
// device at the first generation whose contact was not erased
// (store.newContactID).
async function newContactID(env, orgID, device) {
  for (let gen = 0; gen < 16; gen++) {
    const u = (await sha256(`contact\x00${orgID}\x00${device}\x00${gen}`)).slice(0, 16);
    u[6] = (u[6] & 0x0f) | 0x80;
    u[8] = (u[8] & 0x3f) | 0x80;
    let h = "";
    for (const x of u) h += x.toString(16).padStart(2, "0");
    const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    if ((await env.CHAT_KV.get(`gone/${orgID}/${await hashKey("gone", "c:" + id)}`)) === null) return id;
  }
  return crypto.randomUUID();
}

async function createContact(req, env, org) {
  const body = await readJSON(req);
  const device = body.device_id;
  if (typeof device !== "string" || !UUID_V4.test(device)) {
    throw new ApiError(400, "invalid_device_id", "device_id must be a canonical UUID version 4.");
  }
  const nameIn = optString(body, "name");
  const name = nameIn === undefined ? undefined : validateName("name", nameIn);
  const emailIn = optString(body, "email");
  const email = emailIn === undefined ? undefined : emailIn === "" ? "" : normalizeEmail("email", emailIn);
  const custom = parseCustomData("custom_data", body.custom_data);
  await limit(env, `contact-device/${org.id}/${await hashKey("device", device)}`, `contact-ip/${req.headers.get("CF-Connecting-IP") || "unknown"}`);

  const deviceHash = await hashKey("device", device);
  const index = `device/${org.id}/${deviceHash}`;
  const now = rfc3339(Date.now());
  const id = await env.CHAT_KV.get(index);
  let c = id === null ? null : await env.CHAT_KV.get(`contactid/${org.id}/${id}`, "json");
  const found = !!c;
  if (!c) c = await env.CHAT_KV.get(`contact/${org.id}/${device}`, "json"); // the layout of before (none here)
  let changed = !found;
  if (!c) {
    c = { id: await newContactID(env, org.id, device), org_id: org.id, device_hash: deviceHash, name: "", email: "", non_verified_custom_data: null, created_at: now, updated_at: now };
  }
  const key = `contactid/${org.id}/${c.id}`;
  if (name !== undefined && name !== c.name) (c.name = name), (changed = true);
  if (email !== undefined && email !== c.email) (c.email = email), (changed = true);
  if (custom !== null) (c.non_verified_custom_data = custom), (changed = true);
  if (changed) {
    c.updated_at = now;
    await env.CHAT_KV.put(key, JSON.stringify(c));
  }
  if (!found) await env.CHAT_KV.put(index, c.id);
  const ttl = Number(env.CONTACT_TOKEN_TTL_SECONDS) || 604800;
  const { token, expiresAt } = await issue(env, { kind: "contact", cid: c.id }, c.id, org.id, ttl);
  return respond(200, {
    token,
    expires_at: expiresAt,
    contact: { id: c.id, name: nullable(c.name), email: nullable(c.email), non_verified_custom_data: c.non_verified_custom_data, verified: false },
  });
}

async function createSession(req, env, org) {
  const p = await principalOf(env, req, org);
  const body = await readJSON(req);
  let requested = optString(body, "external_id");
  if (requested === "") requested = undefined;
  const ext = scopeExternalID(p, requested);
  const custom = parseCustomData("custom_data", body.custom_data);
  let claimed = "", uid = "";
  if (p.kind === "verified") {
    // owner.id of the org's views: the user record's id.
    const u = await env.CHAT_KV.get(`user/${org.id}/${await hashKey("identity", p.subject)}`, "json");
    if (u) uid = u.id;
  }
  if (p.kind === "contact") {
    const c = await env.CHAT_KV.get(`contactid/${org.id}/${p.subject}`, "json");
    if (c) claimed = c.email;
  }
  const owner = ownerOf(p, claimed);
  if (uid) owner.uid = uid;
  const now = rfc3339(Date.now());
  const sess = {
    id: newV7(), created_at: now, updated_at: now, verified: p.kind === "verified",
    external_id: ext || null, non_verified_custom_data: custom, last_message: null, claimed_at: null,
  };
  await writeSession(env, org.id, sess, owner);
  return respond(201, { session: sess });
}

function decodeCursor(s) {
  if (!s) return {};
  try {
    const c = JSON.parse(new TextDecoder().decode(unb64url(s)));
    if (c && typeof c === "object" && (c.c || c.a)) return c;
  } catch {}
  throw invalid("cursor", "is not a cursor this API returned.");
}
const encodeCursor = (c) => b64url(enc.encode(JSON.stringify(c)));

async function listSessions(req, env, org) {
  const p = await principalOf(env, req, org);
  const q = new URL(req.url).searchParams;
  let limit = 20;
  if (q.get("limit")) {
    limit = Number(q.get("limit"));
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid("limit", "must be a whole number from 1 to 100.");
  }
  const cur = decodeCursor(q.get("cursor") || "");
  const ext = scopeExternalID(p, q.get("external_id") || undefined);
  const prefix = `owned/${org.id}/${await hashKey(p.key)}/`;

  const items = [];
  let next = null;
  let kvCursor = cur.c;
  const after = cur.a || "";
  for (let calls = 0; calls < 5 && next === null; calls++) {
    const res = await env.CHAT_KV.list({ prefix, limit: LIST_LIMIT_KV, cursor: kvCursor });
    for (let i = 0; i < res.keys.length; i++) {
      const k = res.keys[i];
      if (k.name <= after) continue;
      const m = k.metadata || {};
      let sess = m.s && m.o && !m.p ? m.s : null;
      if (!sess) {
        const rec = await env.CHAT_KV.get(`sessions/${org.id}/${k.name.slice(prefix.length)}`, "json");
        if (!rec) continue;
        sess = rec.s;
      }
      sess.id = invert(k.name.slice(prefix.length));
      if (ext && (sess.external_id ?? "") !== ext) continue;
      items.push(sess);
      if (items.length === limit) {
        const last = i === res.keys.length - 1;
        if (!(last && res.list_complete)) next = encodeCursor({ c: last ? res.cursor : kvCursor, a: k.name });
        break;
      }
    }
    if (next !== null || res.list_complete || !res.cursor) break;
    kvCursor = res.cursor;
  }
  return respond(200, { items, next_cursor: next });
}

async function postMessage(req, env, org, sessionID) {
  const p = await principalOf(env, req, org);
  const idem = req.headers.get("Idempotency-Key");
  if (idem !== null && (idem === "" || idem.length > 128 || !/^[\x20-\x7e]+$/.test(idem))) {
    throw invalid("Idempotency-Key", "must be 1 to 128 printable characters.");
  }
  const { v: body, text } = await readJSONText(req);
  if (body.content === undefined || body.content === null) throw invalid("content", "is required.");
  if (typeof body.content !== "string") throw invalid("content", "must be a string.");
  validateContent("content", body.content);

  if (!UUID.test(sessionID)) throw notFound();
  const rec = await env.CHAT_KV.get(`sessions/${org.id}/${invert(sessionID)}`, "json");
  if (!canSee(p, rec)) throw notFound();
  const sess = rec.s;
  // The Idempotency-Key's first answer, kept in the caller's scope as the Go
  // worker keeps it (store.SaveReplay): looked for first, saved before the
  // message. A replay is answered as saved (the Go worker also completes a
  // first request that stopped halfway; the bench's keys are never sent twice).
  let idemKey = "", fp = "";
  if (idem !== null) {
    idemKey = `idem/${org.id}/p/${await hashKey(p.key)}/${await hashKey(p.key + "\x00" + p.externalID, idem)}`;
    fp = await sha256hex(`POST ${new URL(req.url).pathname}\x00${text}`);
    const prev = await env.CHAT_KV.get(idemKey, "json");
    if (prev !== null) {
      if (prev.f !== fp) throw new ApiError(409, "idempotency_key_reused", "This Idempotency-Key was used with another request.");
      return respond(prev.st, prev.b, { "Idempotent-Replayed": "true" });
    }
  }
  await limit(env, `msg-principal/${org.id}/${p.key}`, `msg-ip/${req.headers.get("CF-Connecting-IP") || "unknown"}`);

  const msg = {
    id: newV7(sess.last_message ? sess.last_message.id : ""), session_id: sess.id, role: "user",
    content: body.content, author_name: "", created_at: rfc3339(Date.now()),
  };
  if (idemKey) {
    const rep = { f: fp, st: 201, b: { message: msg }, m: msg };
    await env.CHAT_KV.put(idemKey, JSON.stringify(rep), { expirationTtl: 24 * 60 * 60, metadata: { s: sess.id } });
  }
  const value = JSON.stringify(msg);
  const opts = enc.encode(value).length <= MAX_META ? { metadata: msg } : {};
  await env.CHAT_KV.put(`msg/${org.id}/${sess.id}/${msg.id}`, value, opts);
  if (!sess.last_message || sess.last_message.id < msg.id) {
    const updated = { ...sess, last_message: msg };
    if (msg.created_at > updated.updated_at) updated.updated_at = msg.created_at;
    try {
      await writeSession(env, org.id, updated, rec.o);
      // As the Go worker: a contact's session rewritten from a read that a
      // claim may have overtaken looks for the contact's claim markers.
      if (!rec.o.verified) await env.CHAT_KV.list({ prefix: `claims/${org.id}/${await hashKey(rec.o.key)}/` });
    } catch (e) {
      console.warn("session summary not updated; the message is stored", String(e));
    }
  }
  return respond(201, { message: msg });
}

// seed stores an org made by the Go worker's admin API, as store.CreateOrg and
// store.CreateAPIKey write it, so that both workers serve the same org.
async function seed(req, env) {
  const admin = (env.ADMIN_TOKEN || "").trim();
  if (!admin || bearer(req) !== admin) throw unauthorized("An admin token is required: Authorization: Bearer <admin token>.");
  const { org, api_key: key } = await readJSON(req);
  if (!org || !org.id || !validSecretShape(org.widget_token, "pk_", 24) || !key || !validSecretShape(key.secret, "sk_", 32)) {
    throw invalid("org", "and api_key {id, secret} are required.");
  }
  const hash = await sha256hex(key.secret);
  const created = org.created_at || rfc3339(Date.now());
  const record = { id: org.id, name: org.name || "", widget_token: org.widget_token, allowed_origins: org.allowed_origins || [], created_at: created };
  await Promise.all(record.allowed_origins.map((o) => env.CHAT_KV.put(`origin/${o}/${org.id}`, "")));
  await Promise.all([
    env.CHAT_KV.put("apikey/" + hash, JSON.stringify({ id: key.id, org_id: org.id, hash, created_at: created })),
    env.CHAT_KV.put(`orgkey/${org.id}/${key.id}`, hash),
  ]);
  await Promise.all([
    env.CHAT_KV.put("org/" + org.id, JSON.stringify(record)),
    env.CHAT_KV.put("widget/" + org.widget_token, JSON.stringify(record)),
  ]);
  return respond(201, { org: record });
}

async function preflight(req, env) {
  const origin = req.headers.get("Origin");
  if (!origin) return respond(204, null, { Allow: "GET, POST, OPTIONS" });
  const res = await env.CHAT_KV.list({ prefix: `origin/${origin.toLowerCase()}/`, limit: 1 });
  if (!res.keys.length) throw new ApiError(403, "origin_not_allowed", "This origin is not allowed for the widget token.");
  return respond(204, null, {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, X-Widget-Token",
    "Access-Control-Max-Age": "600",
    Vary: "Origin",
  });
}

const MESSAGES = /^\/v1\/widget\/sessions\/([^/]+)\/messages$/;

async function route(req, env) {
  const { pathname } = new URL(req.url);
  const m = req.method;
  const widget = pathname.startsWith("/v1/widget/");
  if (widget && m === "OPTIONS") return preflight(req, env);
  const allow = (methods) => {
    if (!methods.includes(m)) {
      throw new ApiError(405, "method_not_allowed", "This method is not allowed on this route.", { Allow: [...methods, ...(widget ? ["OPTIONS"] : [])].join(", ") });
    }
  };
  switch (pathname) {
    case "/.well-known/jwks.json": {
      allow(["GET"]);
      const { jwks } = await ring(env);
      const h = new Headers(SECURITY_HEADERS);
      h.set("Cache-Control", "public, max-age=300");
      h.set("Content-Type", "application/json; charset=utf-8");
      return new Response(jwks, { status: 200, headers: h });
    }
    case "/v1/users/authenticate":
      allow(["POST"]);
      return authenticate(req, env);
    case "/v1/widget/contacts":
      allow(["POST"]);
      return createContact(req, env, await orgByWidgetToken(env, req));
    case "/v1/widget/sessions":
      allow(["GET", "POST"]);
      return m === "GET" ? listSessions(req, env, await orgByWidgetToken(env, req)) : createSession(req, env, await orgByWidgetToken(env, req));
    case "/bench/seed":
      allow(["POST"]);
      return seed(req, env);
  }
  const mm = MESSAGES.exec(pathname);
  if (mm) {
    allow(["POST"]);
    return postMessage(req, env, await orgByWidgetToken(env, req), mm[1]);
  }
  throw new ApiError(404, "not_found", `No route ${pathname.slice(0, 100)}.`);
}

export default {
  async fetch(req, env) {
    const origin = req.headers.get("Origin");
    const cors = origin && new URL(req.url).pathname.startsWith("/v1/widget/")
      ? { "Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "Retry-After", Vary: "Origin" }
      : null;
    let res;
    try {
      res = await route(req, env);
    } catch (e) {
      if (e instanceof ApiError) {
        const extra = { ...(e.status === 403 ? {} : cors || {}), ...(e.headers || {}) };
        return respond(e.status, { error: { code: e.code, message: e.message } }, extra);
      }
      console.error("internal error", String(e && e.stack || e));
      return respond(500, { error: { code: "internal", message: "Something went wrong on our side; retry later." } });
    }
    if (cors && req.method !== "OPTIONS") for (const [k, v] of Object.entries(cors)) res.headers.set(k, v);
    return res;
  },
};
