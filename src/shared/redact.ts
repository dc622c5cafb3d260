// Secrets out of anything printed (issue 10, point 7): a database or broker URL reaches error
// messages, the worker's start line and logs, and a password may sit in it in several forms.
// Pure functions; `redactSecrets` masks every form below wherever it occurs in a text:
// - a URL's userinfo password: `postgres://user:secret@host` (also an empty user, and a password
//   holding an unencoded `@`: everything up to the authority's last `@`);
// - a query parameter whose name says secret: `?password=…`, `&sslpassword=…`, `sslkey`, `token`,
//   `secret`, `api_key`, `access_key`, `credentials`, `auth…`, `pwd`, `pass…`;
// - a libpq key=value pair: `host=h password=secret sslpassword='a b'`.
// Names, hosts, ports, databases and harmless parameters (`sslmode`, `application_name`) stay.

const MASK = '***';

/** A parameter or key name that holds a secret (or the path of one, as sslkey does). */
const SECRET_NAME = /^(?:[a-z0-9_.-]*(?:pass|pwd|secret|token|credential|auth)[a-z0-9_.-]*|[a-z0-9_.-]*key)$/i;

/** `scheme://authority`: the authority runs to the first `/`, `?`, `#` or whitespace. */
const URL_AUTHORITY = /\b([a-z][a-z0-9+._-]*:\/\/)([^/?#\s]*)/gi;

/** `?name=value` or `&name=value` (also `;`), the value up to `&`, `#`, `;` or whitespace. */
const QUERY_PARAM = /([?&;])([^=&#;\s]+)=([^&#;\s]*)/g;

/** `name=value` in a libpq conninfo string: a quoted value (backslash escapes) or a bare word. */
const CONNINFO_PAIR = /(^|[\s,(])([a-z_]+)(\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'),]+)/gi;

function maskUserinfo(_match: string, scheme: string, authority: string): string {
  const at = authority.lastIndexOf('@');
  if (at < 0) return scheme + authority;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return scheme + authority;
  return `${scheme}${userinfo.slice(0, colon)}:${MASK}${authority.slice(at)}`;
}

function maskNamed(name: string, value: string): string {
  return SECRET_NAME.test(name) && value !== '' ? MASK : value;
}

/** Every secret in `text` masked (see above); the rest of the text as it was. */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_AUTHORITY, maskUserinfo)
    .replace(QUERY_PARAM, (_m, sep: string, name: string, value: string) => `${sep}${name}=${maskNamed(decodeName(name), value)}`)
    .replace(CONNINFO_PAIR, (_m, before: string, name: string, eq: string, value: string) => `${before}${name}${eq}${maskNamed(name, value)}`);
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * A database or broker URL (or libpq conninfo string) fit to print: every secret masked. Used for
 * `Database.location` and wherever a URL is named in a message.
 */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}
