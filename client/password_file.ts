/**
 * Reads the password for `--password-file`: the file's first line, without
 * its line ending. A file that others may read is refused, as ssh refuses a
 * private key and libpq a `.pgpass` that others can read: a password kept
 * where anyone on the machine can read it is no longer a secret.
 *
 * @module
 */

/**
 * Reads a password file.
 *
 * @param path The file, as the user wrote it.
 * @returns The password: the first line, without `\n` or `\r\n`.
 * @throws {Error} Naming the file: no read permission for Deno, missing or
 * unreadable, readable by the group or others, or an empty first line.
 */
export function readPasswordFile(path: string): string {
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    throw new Error(
      `cannot read the password file ${path}: Deno needs read permission (run with --allow-read=${path})`,
    );
  }
  let mode: number | null;
  let text: string;
  try {
    mode = Deno.statSync(path).mode;
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "there is no such file"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new Error(`cannot read the password file ${path}: ${reason}`, { cause: error });
  }
  if (mode !== null && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    throw new Error(
      `the password file ${path} may be read or written by others (mode ${octal}): chmod 600 ${path}`,
    );
  }
  const password = text.split("\n", 1)[0]!.replace(/\r$/, "");
  if (password === "") throw new Error(`the password file ${path} starts with an empty line`);
  return password;
}
