/**
 * The layout rules of src/ (the layer order of ARCHITECTURE.md): a folder imports only its own
 * files and folders of lower layers, the folder graph has no cycle, no module is over
 * {@link MAX_LINES} lines (generated tables excepted), and every module opens with an `@module`
 * doc. {@link layoutProblems} checks files given as text, so the rules can be tried on examples.
 *
 * @module
 */
import { findImports } from "./source_imports.ts";

/** The folders of src/, lowest layer first; the folders of one layer may not import each other. */
export const LAYERS: readonly (readonly string[])[] = [
  ["config"],
  ["util"],
  ["offsets"],
  ["convert"],
  ["schema"],
  ["source"],
  ["observe"],
  ["sink"],
  ["tables"],
  ["pipeline"],
  ["snapshot", "verify", "check"],
  ["commands"],
];

export const MAX_LINES = 450;

/** Generated tables, exempt from the size limit. */
const GENERATED = /(_gen|_tables)\.ts$/;

/** A module of src/: its path below src/ (`sink/writer.ts`) and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

/** An import from one folder of src/ into another. */
export interface FolderImport {
  from: string;
  to: string;
  /** `file:line imports "specifier"`, for messages. */
  where: string;
}

/** Every way `files` break the layout rules, one message per problem; empty when they keep them. */
export function layoutProblems(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  const crossings: FolderImport[] = [];
  const unplaced = new Set(files.map((file) => folderOf(file.path)).filter((f) => layerOf(f) < 0));
  for (const folder of unplaced) {
    problems.push(
      `${folder === "" ? "the top of src/" : `src/${folder}/`}: not in the layer order`,
    );
  }
  for (const file of files) {
    const lines = file.text.split("\n").length - (file.text.endsWith("\n") ? 1 : 0);
    if (lines > MAX_LINES && !GENERATED.test(file.path)) {
      problems.push(`src/${file.path}: ${lines} lines, over the limit of ${MAX_LINES}`);
    }
    if (!hasModuleDoc(file.text)) {
      problems.push(`src/${file.path}: no @module doc comment at the top`);
    }
    const from = folderOf(file.path);
    for (const { line, specifier } of findImports(file.text)) {
      if (!specifier.startsWith("./") && !specifier.startsWith("../")) continue;
      const where = `src/${file.path}:${line} imports "${specifier}"`;
      const target = resolve(file.path, specifier);
      if (target === null) {
        problems.push(`${where}, which is outside src/`);
        continue;
      }
      const to = folderOf(target);
      if (to !== from) crossings.push({ from, to, where });
    }
  }
  for (const crossing of crossings) {
    const problem = layerProblem(crossing.from, crossing.to);
    if (problem !== null) problems.push(`${crossing.where}: ${problem}`);
  }
  problems.push(...folderCycles(crossings));
  return problems;
}

function layerOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

/** Why `from` may not import `to`, or null when it may. */
function layerProblem(from: string, to: string): string | null {
  const unplaced = [from, to].filter((folder) => layerOf(folder) < 0);
  if (unplaced.length > 0) {
    return `${unplaced.map(describeFolder).join(" and ")} not in the layer order`;
  }
  if (layerOf(from) === layerOf(to)) return `${from}/ and ${to}/ are on one layer`;
  if (layerOf(to) > layerOf(from)) return `${to}/ is a higher layer than ${from}/`;
  return null;
}

function describeFolder(folder: string): string {
  return folder === "" ? "the top of src/ is" : `${folder}/ is`;
}

/**
 * One message per strongly connected component of more than one folder in the graph of
 * `crossings`: a shortest cycle through its first folder, with an import for each step.
 */
export function folderCycles(crossings: readonly FolderImport[]): string[] {
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of crossings) {
    if (!edges.has(from)) edges.set(from, new Set());
    if (!edges.has(to)) edges.set(to, new Set());
    edges.get(from)!.add(to);
  }
  return stronglyConnected(edges).filter((component) => component.length > 1).map((component) => {
    const cycle = shortestCycle(component[0], new Set(component), edges);
    const steps = cycle.slice(1).map((to, i) =>
      crossings.find((c) => c.from === cycle[i] && c.to === to)!.where
    );
    return `folder cycle ${cycle.map((f) => `${f}/`).join(" -> ")}: ${steps.join("; ")}`;
  });
}

/** The folders of a shortest path from `start` back to itself within `members`, both ends. */
function shortestCycle(
  start: string,
  members: ReadonlySet<string>,
  edges: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of edges.get(node) ?? []) {
      if (!members.has(next) || cameFrom.has(next)) continue;
      cameFrom.set(next, node);
      if (next === start) {
        const path = [start];
        for (let at = cameFrom.get(start)!; at !== start; at = cameFrom.get(at)!) path.unshift(at);
        return [start, ...path];
      }
      queue.push(next);
    }
  }
  throw new Error(`${start}/ is on no cycle within its strongly connected component`);
}

/** Tarjan's algorithm; the components in the order they complete, folders sorted by name. */
function stronglyConnected(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node)!, index.get(next)!));
      }
    }
    if (lowLink.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component.sort());
    }
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return components;
}

/** The folder of src/ a path below src/ lies in (`""` for a file at the top). */
function folderOf(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** The path below src/ that `specifier` in the file at `path` names; null when outside src/. */
function resolve(path: string, specifier: string): string | null {
  const parts = path.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else if (part !== "." && part !== "") {
      parts.push(part);
    }
  }
  return parts.join("/");
}

/** Whether the first thing in `text`, after line comments, is a JSDoc block with `@module`. */
function hasModuleDoc(text: string): boolean {
  const start = text.replace(/^(?:#![^\n]*\n)?(?:\s*\/\/[^\n]*\n)*\s*/, "");
  if (!start.startsWith("/**")) return false;
  const end = start.indexOf("*/");
  return end >= 0 && /@module\b/.test(start.slice(0, end));
}
