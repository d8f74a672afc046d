/**
 * Reads a PEM file (certificate, key or CA) named on the command line,
 * checking Deno's read permission first so a missing `--allow-read` gives a
 * clear sentence instead of a prompt or a stack trace.
 *
 * @module
 */

/**
 * Reads a PEM file.
 *
 * @param path The file, as the user wrote it.
 * @param what What it holds, for the message: `TLS certificate`, `CA`, ….
 * @returns Its text.
 * @throws {Error} Naming the file, with the read error as its cause.
 */
export function readPemFile(path: string, what: string): string {
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    throw new Error(
      `cannot read the ${what} ${path}: Deno needs read permission (run with --allow-read=${path})`,
    );
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the ${what} ${path}`, { cause: error });
  }
  if (!text.includes("-----BEGIN ")) {
    throw new Error(`cannot use the ${what} ${path}: it is not a PEM file`);
  }
  return text;
}
