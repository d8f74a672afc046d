import assert from "@nanochat/assert";
import { NameColors } from "../../client/name_colors.ts";
import { HISTORY_MARK, type RenderOptions, renderServerLine } from "../../client/render.ts";
import { createStyle, NAME_COLOR_COUNT } from "../../client/style.ts";

const now = new Date(2026, 0, 2, 3, 4, 5);

/** The SGR parameters a styled chat line puts on its name. */
function nameSgr(text: string): string {
  // deno-lint-ignore no-control-regex -- the client's own SGR styles start with ESC
  const match = text.match(/^\x1b\[([0-9;]+)m/);
  if (match === null) return assert.fail(`no coloured name in ${JSON.stringify(text)}`);
  return match[1]!;
}

Deno.test("renderServerLine() gives the first users distinct colours, in order of appearance", () => {
  const render: RenderOptions = {
    style: createStyle(true),
    timestamps: false,
    names: new NameColors(["alice"]),
  };
  // Names that share a colour by hash: the order they appear in decides instead.
  const names = ["bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
  const colours = names.map((name) => nameSgr(renderServerLine(`[${name}]: hi`, render, now)));
  assert.equal(new Set(colours).size, names.length, colours.join(" "));
  assert.equal(names.length + 1, NAME_COLOR_COUNT);
  assert.equal(
    nameSgr(renderServerLine("[Bob]: again", render, now)),
    colours[0],
    "a name keeps its colour, whatever its case",
  );
});

Deno.test("renderServerLine() never gives a name the notices' yellow or the errors' red", () => {
  const render: RenderOptions = { style: createStyle(true), timestamps: false };
  const notice = renderServerLine("NOTICE join: bob joined", render, now);
  const error = renderServerLine("ERROR usage: bad", render, now);
  const reserved = [nameSgr(notice), nameSgr(error), "33", "93", "31", "91"];
  const counted = { style: createStyle(true), timestamps: false, names: new NameColors() };
  for (let i = 0; i < 100; i++) {
    for (const options of [render, counted]) {
      const colour = nameSgr(renderServerLine(`[user${i}]: hi`, options, now)).split(";").at(-1)!;
      assert.ok(!reserved.includes(colour), `user${i} got ${colour}`);
    }
  }
});

Deno.test("renderServerLine() marks HISTORY lines, so without colour they differ from live ones", () => {
  const plainStamped: RenderOptions = { style: createStyle(false), timestamps: true };
  const stamp = "2026-01-02T03:04:05Z";
  const clock = new Date(stamp).toTimeString().slice(0, 5);
  const history = renderServerLine(`HISTORY ${stamp} [bob]: hi`, plainStamped, now);
  const live = renderServerLine("[bob]: hi", plainStamped, new Date(stamp));
  assert.equal(history, `${HISTORY_MARK}${clock} bob: hi`);
  assert.equal(live, `${clock} bob: hi`);
  assert.notEqual(history, live);
});
