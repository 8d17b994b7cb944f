/**
 * The module specifiers a TypeScript file imports (`import ... from`, `import type`, `export ...
 * from`, side-effect `import "..."`, dynamic `import("...")`), read from its text without a
 * compiler: comments, string contents, template text and regular expressions are masked first, so
 * an import written inside one of them is not taken for a real one.
 *
 * @module
 */

/** One import of a file: the specifier as written and the line it is on (1-based). */
export interface SourceImport {
  line: number;
  specifier: string;
}

/** After these a `/` starts a regular expression; after anything else it divides. */
const REGEX_AFTER_PUNCTUATION = new Set("(,=:[!&|?{};+-*%<>~^");
const REGEX_AFTER_KEYWORD = new Set([
  "return",
  "typeof",
  "instanceof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "yield",
  "await",
]);

// String literals are masked to `"#N"`, N indexing the list of their contents.
const STATIC_IMPORT = /(?<![\w$.])(?:import|export)\s*(?:[\w$*{},\s]*?\bfrom\s*)?"#(\d+)"/g;
const DYNAMIC_IMPORT = /(?<![\w$.])import\s*\(\s*"#(\d+)"/g;

/** Every import of `text` in source order. */
export function findImports(text: string): SourceImport[] {
  const { code, strings } = maskSource(text);
  const found: { index: number; specifier: string }[] = [];
  for (const pattern of [STATIC_IMPORT, DYNAMIC_IMPORT]) {
    for (const match of code.matchAll(pattern)) {
      found.push({ index: match.index, specifier: strings[Number(match[1])] });
    }
  }
  found.sort((a, b) => a.index - b.index);
  return found.map(({ index, specifier }) => ({
    line: code.slice(0, index).split("\n").length,
    specifier,
  }));
}

/**
 * `text` with comments blanked, string literals replaced by `"#N"` (their contents in `strings`),
 * template text and regular expressions replaced by placeholders; newlines are kept, so a line
 * number in `code` is the line number in `text`.
 */
function maskSource(text: string): { code: string; strings: string[] } {
  let code = "";
  const strings: string[] = [];
  // For each open `${`: the brace depth at which its `}` resumes the template text.
  const templateResumeDepths: number[] = [];
  let braceDepth = 0;
  let i = 0;

  const scanTemplateText = (from: number): number => {
    let j = from;
    let newlines = "";
    while (j < text.length) {
      if (text[j] === "\\") {
        j += 2;
      } else if (text[j] === "`") {
        code += `\`${newlines}\``;
        return j + 1;
      } else if (text[j] === "$" && text[j + 1] === "{") {
        code += `\`${newlines}\${`;
        templateResumeDepths.push(braceDepth);
        braceDepth++;
        return j + 2;
      } else {
        if (text[j] === "\n") newlines += "\n";
        j++;
      }
    }
    code += `\`${newlines}\``;
    return j;
  };

  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      code += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || c === "'") {
      const end = endOfLiteral(text, i + 1, c);
      strings.push(text.slice(i + 1, end));
      code += `"#${strings.length - 1}"`;
      i = end + 1;
    } else if (c === "`") {
      i = scanTemplateText(i + 1);
    } else if (c === "/" && startsRegex(code)) {
      i = endOfRegex(text, i + 1);
      code += "/r/";
    } else if (c === "{") {
      braceDepth++;
      code += c;
      i++;
    } else if (c === "}") {
      braceDepth--;
      i++;
      if (templateResumeDepths.at(-1) === braceDepth) {
        templateResumeDepths.pop();
        code += "}";
        i = scanTemplateText(i);
      } else {
        code += c;
      }
    } else {
      code += c;
      i++;
    }
  }
  return { code, strings };
}

/** Index of the closing `quote` (or of the line end, for an unterminated literal). */
function endOfLiteral(text: string, from: number, quote: string): number {
  let j = from;
  while (j < text.length && text[j] !== quote && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
  return Math.min(j, text.length);
}

function startsRegex(codeSoFar: string): boolean {
  const before = codeSoFar.trimEnd();
  if (before === "") return true;
  if (REGEX_AFTER_PUNCTUATION.has(before[before.length - 1])) return true;
  const word = before.match(/[\w$]+$/)?.[0];
  return word !== undefined && REGEX_AFTER_KEYWORD.has(word);
}

/** Index just past a regular expression literal's flags; `from` is just past its opening `/`. */
function endOfRegex(text: string, from: number): number {
  let j = from;
  let inClass = false;
  while (j < text.length && text[j] !== "\n") {
    const c = text[j];
    if (c === "\\") {
      j += 2;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) break;
    j++;
  }
  j++;
  while (j < text.length && /[a-z]/i.test(text[j])) j++;
  return j;
}
