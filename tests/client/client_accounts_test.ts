/**
 * The client's side of registered names and moderation (issue 12), without
 * a network: password commands recognised and masked, the passwords kept in
 * memory for reconnecting, the echo-off password editor, the password file,
 * a kick leaving the room, and how refusals and kicks are shown.
 */

import assert from "@nanochat/assert";
import { ChatState } from "../../client/chat_state.ts";
import { parseConnectArgs } from "../../client/cli.ts";
import { describeEnd, ExitCode } from "../../client/exit_codes.ts";
import { PasswordBook } from "../../client/password_book.ts";
import { readPasswordFile } from "../../client/password_file.ts";
import { PasswordEditor } from "../../client/password_prompt.ts";
import { isGhostRefusal } from "../../client/reconnect.ts";
import { renderServerLine } from "../../client/render.ts";
import { maskDraft, secretCommand } from "../../client/secret_input.ts";
import { createStyle } from "../../client/style.ts";

const plain = { style: createStyle(false), timestamps: false };
const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("secretCommand() recognises the typed lines that carry a password", () => {
  const table: [string, ReturnType<typeof secretCommand>][] = [
    ["/register hunter22", {
      word: "REGISTER",
      password: "hunter22",
      masked: "/register ********",
    }],
    ["/REGISTER  two words ", {
      word: "REGISTER",
      password: "two words",
      masked: "/register ********",
    }],
    ["/password old1 new2 x", {
      word: "PASSWORD",
      password: "new2 x",
      masked: "/password ******** ********",
    }],
    ["/unregister hunter22", { word: "UNREGISTER", password: "", masked: "/unregister ********" }],
    ["/pass hunter22", { word: "PASS", password: "hunter22", masked: "/pass ********" }],
    ["/register #rust", undefined],
    ["/register", undefined],
    ["/registered x", undefined],
    ["register hunter22", undefined],
    ["/msg bob hi", undefined],
  ];
  for (const [input, expected] of table) assert.deepEqual(secretCommand(input), expected, input);
});

Deno.test("maskDraft() stars what follows a password command, keeping the length", () => {
  const table: [string, string][] = [
    ["/register", "/register"],
    ["/register ", "/register "],
    ["/register hunter", "/register ******"],
    ["/Password a b", "/Password ***"],
    ["/unregister  x", "/unregister  *"],
    ["/register #rust", "/register #rust"],
    ["/nick bob", "/nick bob"],
    ["hello /register x", "hello /register x"],
  ];
  for (const [draft, drawn] of table) {
    assert.equal(maskDraft(draft), drawn, draft);
    assert.equal(maskDraft(draft).length, draft.length);
  }
});

Deno.test("PasswordBook keeps a password once the server confirms it, per name", () => {
  const book = new PasswordBook();
  book.set("alice", "from-the-file");
  assert.equal(book.get("ALICE"), "from-the-file");

  book.sent(secretCommand("/password from-the-file changed1")!, "alice");
  assert.equal(book.get("alice"), "from-the-file", "not before the server confirms");
  book.observe("ERROR password-wrong: Wrong password for alice");
  book.observe("NOTICE registered: bob is registered to you now; log in with its password");
  assert.equal(book.get("alice"), "from-the-file", "another notice confirms nothing");
  book.observe("NOTICE password-changed: The password of alice changed");
  assert.equal(book.get("alice"), "changed1");

  book.sent(secretCommand("/register for-bob-22")!, "bob");
  book.observe("NOTICE registered: bob is registered to you now; log in with its password");
  assert.equal(book.get("bob"), "for-bob-22");

  book.sent(secretCommand("/unregister changed1")!, "alice");
  book.observe("NOTICE unregistered: alice is not registered any more");
  assert.equal(book.get("alice"), undefined);
  assert.equal(book.get("bob"), "for-bob-22");
});

Deno.test("PasswordEditor turns raw keys into a password: Backspace, Ctrl-U, keys ignored", () => {
  const table: [string[], ReturnType<PasswordEditor["take"]>][] = [
    [["s", "e", "c", "\r"], { kind: "done", password: "sec" }],
    [["secret\n"], { kind: "done", password: "secret" }],
    [["secx", "\x7f", "ret", "\r", "ignored"], { kind: "done", password: "secret" }],
    [["pé", "\x08", "e\r"], { kind: "done", password: "pe" }],
    [["wrong\x15right\r"], { kind: "done", password: "right" }],
    [["a", "\x1b[A", "b\r"], { kind: "done", password: "ab" }],
    [["\r"], { kind: "done", password: "" }],
    [["sec", "\x03"], { kind: "aborted" }],
    [["\x04"], { kind: "aborted" }],
    [["a\x04b\r"], { kind: "done", password: "ab" }],
    [["half"], { kind: "typing" }],
  ];
  for (const [reads, expected] of table) {
    const editor = new PasswordEditor();
    let entry: ReturnType<PasswordEditor["take"]> = { kind: "typing" };
    for (const read of reads) entry = editor.take(encode(read));
    assert.deepEqual(entry, expected, JSON.stringify(reads));
  }
});

Deno.test("readPasswordFile() reads the first line and refuses a file others can read", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/password`;
    Deno.writeTextFileSync(file, "correct horse\r\nsecond line\n", { mode: 0o600 });
    Deno.chmodSync(file, 0o600);
    assert.equal(readPasswordFile(file), "correct horse");

    Deno.chmodSync(file, 0o644);
    assert.throws(
      () => readPasswordFile(file),
      new Error(
        `the password file ${file} may be read or written by others (mode 0644): chmod 600 ${file}`,
      ),
    );

    assert.throws(
      () => readPasswordFile(`${dir}/missing`),
      new Error(`cannot read the password file ${dir}/missing: there is no such file`),
    );

    const empty = `${dir}/empty`;
    Deno.writeTextFileSync(empty, "\nsecret\n");
    Deno.chmodSync(empty, 0o600);
    assert.throws(
      () => readPasswordFile(empty),
      new Error(`the password file ${empty} starts with an empty line`),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("parseConnectArgs() takes --password-file", () => {
  const options = parseConnectArgs(["localhost", "alice", "--password-file", "/tmp/pw"]);
  assert.equal(options !== "help" && options.passwordFile, "/tmp/pw");
});

Deno.test("ChatState leaves a room the user is kicked from, and only then", () => {
  const state = new ChatState("alice");
  for (
    const line of [
      "NOTICE welcome: Welcome to nanochat 0.1.0, alice! 2 users online. Type HELP for commands.",
      "#rust NOTICE joined: You joined #rust: 2 users.",
      "#rust NOTICE kick: bob was kicked by carol (spam)",
    ]
  ) state.observe(line);
  assert.deepEqual(state.rooms.joined.map((room) => room.name), ["#lobby", "#rust"]);
  assert.equal(state.rooms.current, "#rust");

  state.observe("#rust NOTICE kick: Alice was kicked by carol (spam)");
  state.observe("NOTICE current: #lobby is your current room");
  assert.deepEqual(state.rooms.joined.map((room) => room.name), ["#lobby"]);
  assert.equal(state.rooms.current, "#lobby");
});

Deno.test("describeEnd() says a refused password is a refused login, exit code 5", () => {
  const end = {
    rejectedName: "Wrong password for alice",
    rejectedCode: "password-wrong",
    shutdown: false,
    silent: false,
  };
  assert.deepEqual(describeEnd(end, false), {
    code: ExitCode.NameRejected,
    message: "login refused: Wrong password for alice",
  });
  const locked = { ...end, rejectedName: "Too many wrong passwords; try again in 120 s" };
  assert.deepEqual(describeEnd({ ...locked, rejectedCode: "password-locked" }, false), {
    code: ExitCode.NameRejected,
    message: "login refused: Too many wrong passwords; try again in 120 s",
  });
  assert.equal(
    describeEnd({ ...end, rejectedCode: "name-taken", rejectedName: "x" }, false).message,
    "name refused: x",
  );
});

Deno.test("isGhostRefusal() retries a taken name on reconnecting, never a wrong password", () => {
  const base = { shutdown: false, silent: false };
  assert.equal(
    isGhostRefusal({ ...base, rejectedName: "taken", rejectedCode: "name-taken" }),
    true,
  );
  assert.equal(
    isGhostRefusal({ ...base, rejectedName: "Wrong", rejectedCode: "password-wrong" }),
    false,
  );
  assert.equal(isGhostRefusal(base), false);
});

Deno.test("renderServerLine() shows kicks, moderation, refusals and accounts in client words", () => {
  const table: [string, string][] = [
    [
      "#rust NOTICE kick: bob was kicked by alice (spam)",
      "[#rust] -- bob was kicked by alice (spam)",
    ],
    ["NOTICE moderation: bob was kicked from #rust", "-- bob was kicked from #rust"],
    ["ERROR not-operator: Only server operators may BAN", "! Only server operators may /ban"],
    [
      "ERROR not-operator: Only operators of #rust may KICK there",
      "! Only operators of #rust may /kick there",
    ],
    ["ERROR banned: bob is banned for good", "! bob is banned for good"],
    [
      "NOTICE registered: alice is registered to you now; log in with its password",
      "-- alice is registered to you now; the client asks for it when you log in (or give --password-file)",
    ],
    ["NOTICE password-changed: The password of alice changed", "-- The password of alice changed"],
  ];
  for (const [line, shown] of table) assert.equal(renderServerLine(line, plain, new Date()), shown);
  const coloured = renderServerLine(
    "NOTICE kick: bob was kicked by alice",
    { ...plain, style: createStyle(true) },
    new Date(),
  );
  assert.equal(coloured, "\x1b[1m\x1b[31m-- bob was kicked by alice\x1b[0m\x1b[0m");
});
