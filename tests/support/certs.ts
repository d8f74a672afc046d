/**
 * Throwaway TLS certificates made with the real `openssl` at test time: a CA,
 * a leaf for localhost/127.0.0.1 signed by it (CA:FALSE, with
 * subjectAltName), and a self-signed certificate. Deno's TLS rejects a
 * self-signed certificate used as a server's own (CaUsedAsEndEntity), hence
 * the CA and the leaf.
 *
 * @module
 */

/** Paths of the files made in a fresh temporary directory. */
export interface TestCerts extends AsyncDisposable {
  readonly dir: string;
  readonly caCert: string;
  readonly leafCert: string;
  readonly leafKey: string;
  readonly otherKey: string;
  readonly selfSignedCert: string;
  readonly selfSignedKey: string;
}

async function run(command: string, args: string[], cwd?: string): Promise<string> {
  const output = await new Deno.Command(command, { args, ...(cwd ? { cwd } : {}), stdin: "null" })
    .output();
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return new TextDecoder().decode(output.stdout).trim();
}

/** Makes the certificates; dispose to delete them. */
export async function makeTestCerts(): Promise<TestCerts> {
  // Subprocesses write the files, so the tests need no --allow-write.
  const dir = await run("mktemp", ["-d", "-t", "nanochat-certs-XXXXXX"]);
  const openssl = (...args: string[]) => run("openssl", args, dir);
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-subj",
    "/CN=nanochat test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  );
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "leaf.key",
    "-out",
    "leaf.csr",
    "-subj",
    "/CN=localhost",
  );
  await run("sh", [
    "-c",
    `printf '%s\\n' \
    'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' > leaf.ext`,
  ], dir);
  await openssl(
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-out",
    "leaf.pem",
    "-extfile",
    "leaf.ext",
  );
  await openssl("genrsa", "-out", "other.key", "2048");
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-keyout",
    "self.key",
    "-out",
    "self.pem",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  );
  return {
    dir,
    caCert: `${dir}/ca.pem`,
    leafCert: `${dir}/leaf.pem`,
    leafKey: `${dir}/leaf.key`,
    otherKey: `${dir}/other.key`,
    selfSignedCert: `${dir}/self.pem`,
    selfSignedKey: `${dir}/self.key`,
    async [Symbol.asyncDispose]() {
      await run("rm", ["-rf", dir]);
    },
  };
}
