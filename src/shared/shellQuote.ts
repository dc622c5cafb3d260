// Quoting for a POSIX shell, for the commands redeemctl prints to be pasted again ("to resume,
// run …"), with a password in a URL hidden.

/** As is when it is plain; else in single quotes (a ' inside becomes '\''). */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `postgres://u:secret@h/db` → `postgres://u:****@h/db`. */
export function hidePassword(arg: string): string {
  return arg.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@/\s]+@/i, '$1****@');
}
