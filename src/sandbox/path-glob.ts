/**
 * Git-style globs over absolute paths, as codex's deny-read patterns use them (`globset` with a
 * literal separator): `*` and `?` stay inside one path component, `[abc]`/`[a-z]`/`[!x]`/`[^x]`
 * are classes (an unclosed `[` is a literal), `{a,b}` alternates (not nested), `\` escapes, and a
 * whole-component `**` matches any number of components (`a/**` matches everything below `a`, not
 * `a` itself; `**‍/x` matches `x` at any depth). A `**` inside a component is refused, as
 * globset refuses it.
 */

/** A compiled glob: the pattern, where its literal part ends, and a matcher. */
export interface PathGlob {
  readonly pattern: string;
  /** The leading components without glob syntax (the directory a scan starts from), e.g. `/w/p` for `/w/p/**‍/*.pem`. */
  readonly base: string;
  readonly regex: RegExp;
}

/** Thrown for a pattern the glob syntax cannot express (nested `{}`, `**` inside a component, `/` in a class). */
export class GlobSyntaxError extends Error {
  override readonly name = "GlobSyntaxError";
}

const META = new Set(["*", "?", "[", "{", "\\"]);

/** Escapes glob syntax in a literal path so it matches only itself. */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]{}\\]/g, (c) => `\\${c}`);
}

/** Compiles an absolute glob pattern. @throws GlobSyntaxError */
export function compileGlob(pattern: string): PathGlob {
  if (!pattern.startsWith("/")) throw new GlobSyntaxError(`glob pattern ${JSON.stringify(pattern)} is not absolute`);
  return { pattern, base: literalBase(pattern), regex: new RegExp(`^${translate(pattern, 0, pattern.length, false)}$`, "s") };
}

/** True when `path` (absolute, normalised) matches. */
export function globMatches(glob: PathGlob, path: string): boolean {
  return glob.regex.test(path);
}

/** Number of components of `path` below `base` (0 for `base` itself), or -1 when `path` is not under it. */
export function depthBelow(base: string, path: string): number {
  if (path === base) return 0;
  const prefix = base.endsWith("/") ? base : `${base}/`;
  if (!path.startsWith(prefix)) return -1;
  return path.slice(prefix.length).split("/").length;
}

function literalBase(pattern: string): string {
  const components = pattern.split("/");
  const literal: string[] = [];
  for (const component of components.slice(1)) {
    if ([...component].some((c) => META.has(c))) break;
    literal.push(component);
  }
  // The last component names the match itself, never the scan base (a pattern with no syntax at all
  // matches exactly one path, whose parent is where to look).
  if (literal.length === components.length - 1) literal.pop();
  return `/${literal.join("/")}`;
}

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

/** Translates `pattern[from, to)` to a regex source; `inAlternation` refuses nested braces. */
function translate(pattern: string, from: number, to: number, inAlternation: boolean): string {
  let out = "";
  let i = from;
  while (i < to) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === undefined || i + 1 >= to) {
        out += "\\\\";
        i += 1;
      } else {
        out += escapeRegex(next);
        i += 2;
      }
    } else if (c === "*") {
      if (pattern[i + 1] === "*") {
        const startsComponent = i === 0 || pattern[i - 1] === "/";
        const endsComponent = i + 2 === to || pattern[i + 2] === "/";
        if (!startsComponent || !endsComponent) {
          throw new GlobSyntaxError(`invalid glob pattern ${JSON.stringify(pattern)}: \`**\` must be a whole path component`);
        }
        if (i + 2 < to) {
          // `**/`: zero or more whole components, each followed by its separator.
          out += "(?:[^/]*/)*";
          i += 3;
        } else {
          // Trailing `**`: everything below (at least one more character).
          out += ".+";
          i += 2;
        }
      } else {
        out += "[^/]*";
        i += 1;
      }
    } else if (c === "?") {
      out += "[^/]";
      i += 1;
    } else if (c === "[") {
      const close = classEnd(pattern, i, to);
      if (close === -1) {
        out += "\\[";
        i += 1;
      } else {
        out += translateClass(pattern, pattern.slice(i + 1, close));
        i = close + 1;
      }
    } else if (c === "{") {
      if (inAlternation) throw new GlobSyntaxError(`invalid glob pattern ${JSON.stringify(pattern)}: nested alternations are not supported`);
      const close = pattern.indexOf("}", i);
      if (close === -1 || close >= to) {
        throw new GlobSyntaxError(`invalid glob pattern ${JSON.stringify(pattern)}: unclosed alternation`);
      }
      const alternatives: string[] = [];
      let start = i + 1;
      for (let j = i + 1; j <= close; j += 1) {
        if (pattern[j] === "\\") {
          j += 1;
          continue;
        }
        if (pattern[j] === "{") throw new GlobSyntaxError(`invalid glob pattern ${JSON.stringify(pattern)}: nested alternations are not supported`);
        if (pattern[j] === "," || j === close) {
          alternatives.push(translate(pattern, start, j, true));
          start = j + 1;
        }
      }
      out += `(?:${alternatives.join("|")})`;
      i = close + 1;
    } else {
      out += escapeRegex(c);
      i += 1;
    }
  }
  return out;
}

/** Index of the `]` closing the class opened at `open`, or -1 (then `[` is a literal). */
function classEnd(pattern: string, open: number, to: number): number {
  let j = open + 1;
  if (pattern[j] === "!" || pattern[j] === "^") j += 1;
  if (pattern[j] === "]") j += 1; // a leading `]` is a member
  for (; j < to; j += 1) {
    if (pattern[j] === "/") return -1;
    if (pattern[j] === "]") return j;
  }
  return -1;
}

function translateClass(pattern: string, body: string): string {
  let negated = false;
  let rest = body;
  if (rest.startsWith("!") || rest.startsWith("^")) {
    negated = true;
    rest = rest.slice(1);
  }
  let members = "";
  for (let k = 0; k < rest.length; k += 1) {
    const c = rest[k]!;
    if (c === "-" && k > 0 && k < rest.length - 1) {
      members += "-";
    } else {
      members += /[\\\]^[-]/.test(c) ? `\\${c}` : c;
    }
  }
  if (members === "") throw new GlobSyntaxError(`invalid glob pattern ${JSON.stringify(pattern)}: empty character class`);
  // A class never matches the separator.
  return negated ? `[^/${members}]` : `(?!/)[${members}]`;
}
