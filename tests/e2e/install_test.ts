/**
 * Tests of install.sh against fake release assets served on loopback: the
 * "binary" is a tiny shell script, and NANOCHAT_OS / NANOCHAT_ARCH stand in
 * for `uname` so every platform can be tried on this one.
 *
 * @module
 */

import assert from "@nanochat/assert";

const INSTALL_SH = new URL("../../install.sh", import.meta.url).pathname;
const FAKE_BINARY = "#!/bin/sh\necho 'nanochat 9.9.9'\n";
const ignore = Deno.build.os === "windows";

/** Release assets by file name, and the names requested so far. */
interface FakeRelease extends AsyncDisposable {
  readonly base: string;
  readonly requested: string[];
}

/** Serves `assets` under http://127.0.0.1:PORT/download. */
function serveRelease(assets: Record<string, string>): FakeRelease {
  const requested: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const name = new URL(request.url).pathname.replace(/^\/download\//, "");
    requested.push(name);
    const body = Object.hasOwn(assets, name) ? assets[name] : undefined;
    return body === undefined ? new Response("not found", { status: 404 }) : new Response(body);
  });
  return {
    base: `http://127.0.0.1:${server.addr.port}/download`,
    requested,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The assets of a release holding the fake binary as `asset`. */
async function releaseOf(asset: string, checksum?: string): Promise<Record<string, string>> {
  const sum = checksum ?? await sha256Hex(FAKE_BINARY);
  return {
    [asset]: FAKE_BINARY,
    SHA256SUMS: `${"0".repeat(64)}  nanochat-other-target\n${sum}  ${asset}\n`,
  };
}

/** Runs install.sh with `env` added and resolves with its exit code and output. */
async function runInstall(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("sh", {
    args: [INSTALL_SH, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function withTempDir(use: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nanochat_install_test_" });
  try {
    await use(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "install.sh installs the verified binary, executable, and says how to add it to PATH",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      await using release = serveRelease(await releaseOf("nanochat-x86_64-unknown-linux-gnu"));
      const installDir = `${dir}/bin`;
      const result = await runInstall(
        { NANOCHAT_DOWNLOAD_BASE: release.base, NANOCHAT_OS: "Linux", NANOCHAT_ARCH: "x86_64" },
        [installDir],
      );

      assert.equal(result.code, 0, result.stderr);
      const installed = `${installDir}/nanochat`;
      assert.ok(((await Deno.stat(installed)).mode ?? 0) & 0o100, "installed file is executable");
      const run = await new Deno.Command(installed, { stdout: "piped" }).output();
      assert.equal(new TextDecoder().decode(run.stdout), "nanochat 9.9.9\n");
      assert.match(result.stdout, /Installed nanochat 9\.9\.9 as .*\/bin\/nanochat/);
      assert.ok(result.stdout.includes(`export PATH="${installDir}:$PATH"`), result.stdout);
    }),
});

const PLATFORMS: [os: string, arch: string, asset: string][] = [
  ["Linux", "x86_64", "nanochat-x86_64-unknown-linux-gnu"],
  ["Linux", "aarch64", "nanochat-aarch64-unknown-linux-gnu"],
  ["Linux", "arm64", "nanochat-aarch64-unknown-linux-gnu"],
  ["Darwin", "x86_64", "nanochat-x86_64-apple-darwin"],
  ["Darwin", "arm64", "nanochat-aarch64-apple-darwin"],
];

Deno.test({
  name: "install.sh downloads the binary that matches uname's OS and architecture",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      for (const [os, arch, asset] of PLATFORMS) {
        await using release = serveRelease(await releaseOf(asset));
        const installDir = `${dir}/${os}-${arch}`;
        const result = await runInstall(
          { NANOCHAT_DOWNLOAD_BASE: release.base, NANOCHAT_OS: os, NANOCHAT_ARCH: arch },
          [installDir],
        );
        assert.equal(result.code, 0, `${os} ${arch}: ${result.stderr}`);
        assert.deepEqual(release.requested, [asset, "SHA256SUMS"], `${os} ${arch}`);
        assert.ok(await exists(`${installDir}/nanochat`), `${os} ${arch}`);
      }
    }),
});

Deno.test({
  name: "install.sh installs into NANOCHAT_INSTALL_DIR, or ~/.nanochat/bin by default",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      await using release = serveRelease(await releaseOf("nanochat-aarch64-apple-darwin"));
      const platform = {
        NANOCHAT_DOWNLOAD_BASE: release.base,
        NANOCHAT_OS: "Darwin",
        NANOCHAT_ARCH: "arm64",
      };

      const fromEnv = await runInstall({ ...platform, NANOCHAT_INSTALL_DIR: `${dir}/env` });
      assert.equal(fromEnv.code, 0, fromEnv.stderr);
      assert.ok(await exists(`${dir}/env/nanochat`));

      const byDefault = await runInstall({ ...platform, HOME: `${dir}/home` });
      assert.equal(byDefault.code, 0, byDefault.stderr);
      assert.ok(await exists(`${dir}/home/.nanochat/bin/nanochat`));
    }),
});

Deno.test({
  name: "install.sh refuses a binary whose checksum does not match and installs nothing",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      const asset = "nanochat-x86_64-unknown-linux-gnu";
      await using release = serveRelease(await releaseOf(asset, await sha256Hex("other bytes")));
      const installDir = `${dir}/bin`;
      const result = await runInstall(
        { NANOCHAT_DOWNLOAD_BASE: release.base, NANOCHAT_OS: "Linux", NANOCHAT_ARCH: "x86_64" },
        [installDir],
      );

      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /checksum mismatch for nanochat-x86_64-unknown-linux-gnu/);
      assert.match(result.stderr, /nothing was installed/);
      assert.equal(await exists(installDir), false);
    }),
});

Deno.test({
  name: "install.sh refuses a binary that SHA256SUMS does not list",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      await using release = serveRelease({
        "nanochat-x86_64-unknown-linux-gnu": FAKE_BINARY,
        SHA256SUMS: `${await sha256Hex(FAKE_BINARY)}  nanochat-x86_64-apple-darwin\n`,
      });
      const result = await runInstall(
        { NANOCHAT_DOWNLOAD_BASE: release.base, NANOCHAT_OS: "Linux", NANOCHAT_ARCH: "x86_64" },
        [`${dir}/bin`],
      );

      assert.notEqual(result.code, 0);
      assert.match(
        result.stderr,
        /SHA256SUMS has no checksum for nanochat-x86_64-unknown-linux-gnu/,
      );
      assert.equal(await exists(`${dir}/bin`), false);
    }),
});

Deno.test({
  name: "install.sh fails clearly when the release has no binary for the platform",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      await using release = serveRelease({});
      const result = await runInstall(
        { NANOCHAT_DOWNLOAD_BASE: release.base, NANOCHAT_OS: "Linux", NANOCHAT_ARCH: "x86_64" },
        [`${dir}/bin`],
      );

      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /cannot download .*\/nanochat-x86_64-unknown-linux-gnu/);
      assert.equal(await exists(`${dir}/bin`), false);
    }),
});

const UNSUPPORTED: [os: string, arch: string, message: RegExp][] = [
  [
    "MINGW64_NT-10.0-19045",
    "x86_64",
    /Windows is not supported by this script; download nanochat-x86_64-pc-windows-msvc\.exe from https:\/\/github\.com\/.*\/releases/,
  ],
  ["CYGWIN_NT-10.0", "x86_64", /Windows is not supported/],
  ["FreeBSD", "amd64", /unsupported operating system FreeBSD/],
  ["Linux", "riscv64", /unsupported CPU architecture riscv64/],
  ["Darwin", "ppc", /unsupported CPU architecture ppc/],
];

Deno.test({
  name: "install.sh names an unsupported platform and downloads and installs nothing",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      await using release = serveRelease({});
      for (const [os, arch, message] of UNSUPPORTED) {
        const installDir = `${dir}/bin`;
        const result = await runInstall(
          { NANOCHAT_DOWNLOAD_BASE: release.base, NANOCHAT_OS: os, NANOCHAT_ARCH: arch },
          [installDir],
        );
        assert.notEqual(result.code, 0, `${os} ${arch}`);
        assert.match(result.stderr, message);
        assert.equal(await exists(installDir), false, `${os} ${arch}`);
      }
      assert.deepEqual(release.requested, []);
    }),
});
