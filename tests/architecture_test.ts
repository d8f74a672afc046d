/**
 * The layout's rules, checked on the source itself: which folder may import
 * which, no import cycles, and a pure `protocol/`.
 */
import assert from "@nanochat/assert";

const ROOT = new URL("../", import.meta.url);

/** Folders whose modules may import from each listed folder (besides their own). */
const ALLOWED: Record<string, readonly string[]> = {
  protocol: [],
  cli: [],
  web: [],
  transport: ["protocol"],
  server: ["protocol", "transport", "cli", "web"],
  client: ["protocol", "transport", "cli"],
  bench: ["protocol", "transport", "cli"],
};

/** Every project module and the project modules it imports, by path from the root. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const folders = [...Object.keys(ALLOWED), "scripts"];
  for (const folder of folders) {
    for await (const entry of Deno.readDir(new URL(`${folder}/`, ROOT))) {
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      await addModule(graph, `${folder}/${entry.name}`);
    }
    for await (const entry of Deno.readDir(new URL(`${folder}/`, ROOT))) {
      if (!entry.isDirectory) continue;
      for await (const inner of Deno.readDir(new URL(`${folder}/${entry.name}/`, ROOT))) {
        if (inner.isFile && inner.name.endsWith(".ts")) {
          await addModule(graph, `${folder}/${entry.name}/${inner.name}`);
        }
      }
    }
  }
  await addModule(graph, "main.ts");
  return graph;
}

async function addModule(graph: Map<string, string[]>, path: string): Promise<void> {
  const text = await Deno.readTextFile(new URL(path, ROOT));
  const imports: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^"';]*?["'](\.{1,2}\/[^"']+)["']/gm)) {
    imports.push(new URL(match[1]!, new URL(path, ROOT)).href.slice(ROOT.href.length));
  }
  graph.set(path, imports);
}

function folderOf(path: string): string {
  return path.includes("/") ? path.slice(0, path.indexOf("/")) : "";
}

/** Imports that cross a layer the wrong way. */
function findViolations(graph: Map<string, string[]>): string[] {
  const violations: string[] = [];
  for (const [module, imports] of graph) {
    const folder = folderOf(module);
    const allowed = ALLOWED[folder];
    if (allowed === undefined) continue; // main.ts and scripts/ wire everything together
    for (const imported of imports) {
      const target = folderOf(imported);
      if (imported === "deno.json") continue; // the version number
      if (target !== folder && !allowed.includes(target)) {
        violations.push(`${module} imports ${imported}`);
      }
    }
  }
  return violations;
}

/** Every import cycle, as `a -> b -> a`. */
function findCycles(graph: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (module: string, path: string[]) => {
    if (state.get(module) === "done") return;
    if (state.get(module) === "visiting") {
      cycles.push([...path.slice(path.indexOf(module)), module].join(" -> "));
      return;
    }
    state.set(module, "visiting");
    for (const imported of graph.get(module) ?? []) visit(imported, [...path, module]);
    state.set(module, "done");
  };
  for (const module of graph.keys()) visit(module, []);
  return cycles;
}

Deno.test("each folder imports only from the folders its layer allows", async () => {
  assert.deepEqual(findViolations(await importGraph()), []);
});

Deno.test("no module imports itself through a cycle", async () => {
  assert.deepEqual(findCycles(await importGraph()), []);
});

Deno.test("protocol/ and cli/ are pure: no I/O, timers or runtime APIs", async () => {
  const impure: string[] = [];
  for (const folder of ["protocol", "cli"]) {
    for await (const entry of Deno.readDir(new URL(`${folder}/`, ROOT))) {
      if (!entry.name.endsWith(".ts")) continue;
      const text = await Deno.readTextFile(new URL(`${folder}/${entry.name}`, ROOT));
      // Doc examples may use anything; the code may not.
      const code = text.replace(/\/\*\*[\s\S]*?\*\//g, "");
      for (const api of ["Deno.", "setTimeout", "setInterval", "fetch(", 'from "node:']) {
        if (code.includes(api)) impure.push(`${folder}/${entry.name} uses ${api}`);
      }
    }
  }
  assert.deepEqual(impure, []);
});

Deno.test("the import checker finds a forbidden import and a cycle, and reads the whole tree", async () => {
  const bad = new Map([
    ["client/a.ts", ["server/b.ts"]],
    ["server/b.ts", ["server/c.ts"]],
    ["server/c.ts", ["server/b.ts"]],
  ]);
  assert.deepEqual(findViolations(bad), ["client/a.ts imports server/b.ts"]);
  assert.deepEqual(findCycles(bad), ["server/b.ts -> server/c.ts -> server/b.ts"]);
  const graph = await importGraph();
  assert.ok(graph.size > 40, `only ${graph.size} modules found`);
  assert.ok(graph.get("client/server_link.ts")!.includes("transport/line_connection.ts"));
});
