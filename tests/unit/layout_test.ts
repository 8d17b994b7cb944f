/**
 * src/ keeps its layout (tests/support/layout.ts): folders import only lower layers, no folder
 * cycle, no module over the line limit, an `@module` doc on every module. The rules are tried on
 * small examples too, so a check that sees nothing cannot pass.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { folderCycles, layoutProblems, MAX_LINES, type SourceFile } from "../support/layout.ts";
import { findImports } from "../support/source_imports.ts";

const SRC = new URL("../../src/", import.meta.url);

/** The modules of src/ (tests excepted), paths below src/. */
async function readSrc(dir = SRC, prefix = ""): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) {
      files.push(...await readSrc(new URL(`${entry.name}/`, dir), `${path}/`));
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      files.push({ path, text: await Deno.readTextFile(new URL(entry.name, dir)) });
    }
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

const DOC = "/**\n * What this module is for.\n *\n * @module\n */\n";

Deno.test("src/ keeps the layer order, the line limit and the @module docs", async () => {
  const files = await readSrc();
  const relativeImports = files.flatMap((f) => findImports(f.text))
    .filter((i) => i.specifier.startsWith("."));
  assert(files.length > 30, `only ${files.length} modules found under src/`);
  assert(relativeImports.length > 100, `only ${relativeImports.length} relative imports found`);
  const problems = layoutProblems(files);
  assertEquals(problems, [], `src/ breaks the layout rules:\n${problems.join("\n")}\n`);
});

Deno.test("findImports: every import form, none from comments, strings or regexes", () => {
  const text = `${DOC}// import { a } from "../commented/line.ts";
import { b, type C } from "./plain.ts";
import type { D } from '../typed/only.ts';
import {
  e,
  f,
} from "../multi/line.ts";
import * as g from "./star.ts";
import "./side_effect.ts";
export { h } from "./re_export.ts";
export * from "./re_export_all.ts";
export type { I } from "./re_export_type.ts";
/* import { j } from "../commented/block.ts"; */
const quoted = "import { k } from '../in/string.ts'";
const regex = /import\\("\\.\\.\\/in\\/regex.ts"\\)/;
const half = 6 / 2; const template = \`import("../in/template.ts") \${half / 3} \${{ x: 1 }.x}\`;
export const later = () => import("../dynamic/import.ts");
const meta = import.meta.url;
`;
  assertEquals(findImports(text), [
    { line: 7, specifier: "./plain.ts" },
    { line: 8, specifier: "../typed/only.ts" },
    { line: 9, specifier: "../multi/line.ts" },
    { line: 13, specifier: "./star.ts" },
    { line: 14, specifier: "./side_effect.ts" },
    { line: 15, specifier: "./re_export.ts" },
    { line: 16, specifier: "./re_export_all.ts" },
    { line: 17, specifier: "./re_export_type.ts" },
    { line: 22, specifier: "../dynamic/import.ts" },
  ]);
});

Deno.test("layoutProblems names each file and import that breaks a rule", () => {
  const module = (path: string, ...imports: string[]): SourceFile => ({
    path,
    text: DOC + imports.map((i) => `import { x } from "${i}";\n`).join(""),
  });
  const files: SourceFile[] = [
    module("config/config.ts"),
    module("util/log.ts", "../config/config.ts", "./sleep.ts", "npm:postgres"),
    module("util/sleep.ts"),
    module("sink/writer.ts", "../util/log.ts", "../tables/routes.ts"),
    module("tables/routes.ts", "../sink/writer.ts"),
    module("snapshot/snapshot.ts", "../verify/report.ts", "../../testing/fixture.ts"),
    module("verify/report.ts", "../extras/tool.ts"),
    module("extras/tool.ts"),
    module("top.ts"),
    { path: "check/no_doc.ts", text: "/** A doc without the tag. */\nexport const x = 1;\n" },
    { path: "check/long.ts", text: DOC + "export {};\n".repeat(MAX_LINES) },
    { path: "convert/charset_tables.ts", text: DOC + "export {};\n".repeat(MAX_LINES) },
  ];
  assertEquals(layoutProblems(files), [
    "src/extras/: not in the layer order",
    "the top of src/: not in the layer order",
    'src/snapshot/snapshot.ts:7 imports "../../testing/fixture.ts", which is outside src/',
    "src/check/no_doc.ts: no @module doc comment at the top",
    `src/check/long.ts: ${MAX_LINES + 5} lines, over the limit of ${MAX_LINES}`,
    'src/sink/writer.ts:7 imports "../tables/routes.ts": tables/ is a higher layer than sink/',
    'src/snapshot/snapshot.ts:6 imports "../verify/report.ts": ' +
    "snapshot/ and verify/ are on one layer",
    'src/verify/report.ts:6 imports "../extras/tool.ts": extras/ is not in the layer order',
    "folder cycle sink/ -> tables/ -> sink/: " +
    'src/sink/writer.ts:7 imports "../tables/routes.ts"; ' +
    'src/tables/routes.ts:6 imports "../sink/writer.ts"',
  ]);
  assertEquals(layoutProblems(files.slice(0, 3)), []);
});

Deno.test("folderCycles finds every cycle, also between folders of no layer", () => {
  const crossing = (from: string, to: string) => ({ from, to, where: `${from}->${to}` });
  assertEquals(
    folderCycles([
      crossing("a", "b"),
      crossing("b", "c"),
      crossing("c", "a"),
      crossing("c", "d"),
      crossing("x", "y"),
      crossing("y", "x"),
    ]),
    [
      "folder cycle a/ -> b/ -> c/ -> a/: a->b; b->c; c->a",
      "folder cycle x/ -> y/ -> x/: x->y; y->x",
    ],
  );
  assertEquals(folderCycles([crossing("a", "b"), crossing("b", "c"), crossing("a", "c")]), []);
});
