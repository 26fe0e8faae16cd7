/**
 * The diagnostics catalog: every stable error code bale reports, in one typed map.
 *
 * Each entry names the code's area, severity, README summary and anchor, and (for every code reported
 * outside the archive's extractor) its message template and fix: `t\`cannot read ${"what"}: ${"reason"}\``
 * is a template whose parameter names tsc knows. A code with several wordings has `variants`, each
 * with its own message (and fix, where it differs). Library code reports through one creator,
 * `diag(key, params, init?)` (src/diagnostics/create.ts) for errors and `warning(key, params)` /
 * `Diagnostics.warn(key, params)` for warnings: `key` is a code, or `code:variant`; an unknown key,
 * a missing parameter or an extra one fails `tsc`.
 *
 * The README's error tables are generated from this map (`node scripts/gen-error-table.mjs`), and
 * test/unit/diagnostics.test.ts checks that every code is asserted by at least one test. To add a
 * code: add it here (area, summary, message, fix, README anchor), report it with `diag`, add a
 * bad-input case that triggers it, and regenerate the README tables.
 *
 * The one exception: code that ships inside every archive (src/runtime-stub/extractor.ts and what
 * it imports: src/errors.ts, src/atomic.ts, src/archive/*, src/runtime-stub/cache.ts) imports only
 * *types* from here, so the catalog's text costs an archive nothing. Those sites construct
 * `new BaleError(code, message, init)` themselves (the code is still checked by tsc); their codes
 * carry no message template here. test/unit/diagnostics.test.ts checks that no catalog text ends up
 * in the built extractor.
 */

/** Which part of bale reports the code; each area has its own table in the README. */
export type DiagnosticArea = "pack" | "archive" | "config" | "gen" | "fleet";

/** A value a message template puts in its text. */
export type Param = string | number;

/**
 * A message (or fix) with named parameters, made with the tagged template `t`: the text between the
 * parameters is `parts`, the parameter names are `keys` (so tsc knows them).
 */
export interface Template<K extends string = string> {
  readonly parts: readonly string[];
  readonly keys: readonly K[];
}

/** `t\`the entry ${"file"} does not exist\``: a template whose parameters are the quoted names. */
export function t<const K extends readonly string[]>(strings: TemplateStringsArray, ...keys: K): Template<K[number]> {
  return { parts: [...strings], keys };
}

/** The text of a template with its parameters filled in. */
export function render(tpl: Template | string, params: Readonly<Record<string, Param>>): string {
  if (typeof tpl === "string") return tpl;
  let out = tpl.parts[0] ?? "";
  tpl.keys.forEach((k, i) => {
    out += String(params[k]) + (tpl.parts[i + 1] ?? "");
  });
  return out;
}

/** A template as the README shows it: parameters as `{name}`. */
export function templateText(tpl: Template | string): string {
  if (typeof tpl === "string") return tpl;
  return tpl.parts.map((p, i) => (i < tpl.keys.length ? `${p}{${tpl.keys[i]}}` : p)).join("");
}

/** One wording of a code: its message and its fix, each where it is not the code's own. */
export interface MessageForm {
  readonly message?: Template;
  readonly fix?: string | Template;
}

export interface DiagnosticDef {
  readonly area: DiagnosticArea;
  /** "error" stops the command (exit 1); a "warning" is reported beside a result (e.g. `PackResult.warnings`). */
  readonly severity: "error" | "warning";
  /** One line for the README table, in Markdown. */
  readonly summary: string;
  /** The message of `diag(code, ...)` (absent only for codes the archive's own code reports: the extractor, the sh prelude). */
  readonly message?: Template;
  /** The fix of this code (a sentence, or a template), where every wording of it shares one. */
  readonly fix?: string | Template;
  /** Other wordings of the code, reported with `diag("code:variant", ...)`. */
  readonly variants?: Readonly<Record<string, MessageForm>>;
  /** The README section that explains the code (a GitHub heading slug); default: the area's table. */
  readonly anchor?: string;
}

/** The README heading (slug) whose section holds each area's generated table. */
export const AREA_ANCHORS: Readonly<Record<DiagnosticArea, string>> = {
  pack: "packer-and-archive-error-codes",
  archive: "packer-and-archive-error-codes",
  config: "errors",
  gen: "bindings-error-codes",
  fleet: "fleet-error-codes",
};

type More = { message?: Template; fix?: string | Template; variants?: Readonly<Record<string, MessageForm>>; anchor?: string };

const e = <A extends DiagnosticArea, const M extends More = Record<never, never>>(area: A, summary: string, more?: M): { area: A; severity: "error"; summary: string } & M => ({
  area,
  severity: "error",
  summary,
  ...(more as M),
});

const w = <A extends DiagnosticArea, const M extends More = Record<never, never>>(area: A, summary: string, more?: M): { area: A; severity: "warning"; summary: string } & M => ({
  area,
  severity: "warning",
  summary,
  ...(more as M),
});

/** The fix of a native dependency without a build for `--target` (pack-target-binary, pack-target-no-build). */
const FIX_PREBUILT = t`use a version (or an alternative package) that publishes a prebuilt ${"target"} build, pack on a ${"target"} machine, or, if the app does not need it at run time, make it a devDependency`;

/** The wordings of every `*-bad-option` code (src/options.ts, validateOptions). */
const OPTION_FORMS = {
  message: t`${"fn"} option "${"key"}" must be ${"kind"}, not ${"got"}`,
  fix: t`pass ${"key"} as ${"kind"}`,
  variants: {
    "not-object": { message: t`${"fn"}() takes an options object, not ${"got"}`, fix: t`pass { ${"required"} }` },
    unknown: { message: t`unknown ${"fn"} option "${"key"}"`, fix: t`write "${"near"}" instead` },
    "unknown-other": { message: t`unknown ${"fn"} option "${"key"}"`, fix: t`use only the options of ${"fn"}(): ${"names"}` },
    missing: { message: t`${"fn"}() needs the option "${"key"}"` },
  },
} as const;

export const DIAGNOSTICS = {
  // ---- bale pack
  "pack-bad-option": e("pack", "`pack()` got an unknown option or a value of the wrong type (library API)", { ...OPTION_FORMS, anchor: "library-api" }),
  "pack-bad-level": e("pack", "`--level` or `--runtime-level` is not a whole number from 1 to 19", {
    message: t`compression level ${"level"} is out of range`,
    fix: "pass --level with a whole number from 1 (fastest) to 19 (smallest)",
    variants: {
      runtime: { message: t`runtime compression level ${"level"} is out of range`, fix: "pass --runtime-level with a whole number from 1 (fastest) to 19 (smallest, the default)" },
    },
  }),
  "pack-bad-epoch": e("pack", "`SOURCE_DATE_EPOCH` is not a whole number of seconds", {
    message: t`SOURCE_DATE_EPOCH=${"value"} is not a whole number of seconds`,
    fix: "set SOURCE_DATE_EPOCH to a Unix timestamp, e.g. $(git log -1 --format=%ct)",
  }),
  "pack-bad-name": e("pack", "the app name (`--name`, or the entry's) has characters that do not belong in a file name", {
    message: t`app name ${"name"} has characters that do not belong in a file name`,
    fix: "pass --name with letters, digits, '.', '-', '_' or '@'",
  }),
  "pack-bad-config": e("pack", 'the `"bale"` block of package.json has an unknown key or a wrong type', {
    message: t`the "bale" block of package.json ${"problem"}`,
    fix: t`use only ${"keys"} (see the README's "Pack settings in package.json")`,
    anchor: "pack-settings-in-packagejson",
  }),
  "pack-bad-package-json": e("pack", "a package.json bale reads is not valid JSON", { message: t`cannot read package.json: ${"reason"}`, fix: "fix the JSON syntax of package.json" }),
  "pack-bad-runtime": e("pack", "`--runtime` is not a Node.js version, a path or `system`", {
    message: t`--runtime ${"spec"} is not a Node.js version, a path or "system"`,
    fix: 'pass a major or exact version (--runtime 22, --runtime 22.23.5), a path to a node binary (--runtime ./node), or "system"',
    anchor: "an-embedded-nodejs-runtime---runtime",
  }),
  "pack-bad-target": e("pack", "`--target` names a platform bale does not pack for, or bale cannot tell which runtime to embed", {
    message: t`unsupported target ${"target"}`,
    fix: t`pass --target ${"targets"} (the platforms bale packs for)`,
    variants: { host: { message: t`bale cannot tell which platform's runtime to embed on ${"host"}`, fix: t`pass --target ${"targets"}` } },
    anchor: "packing-for-another-platform---target",
  }),
  "pack-entry-missing": e("pack", "the entry does not exist", { message: t`the entry does not exist`, fix: "pass a .ts/.js/.mjs/.cjs file or a package directory with a package.json" }),
  "pack-entry-no-package": e("pack", "the entry is a directory without a package.json", {
    message: t`the entry is a directory without a package.json`,
    fix: "pass the entry file itself, or a package directory whose package.json has `bin` or `main`",
  }),
  "pack-entry-unresolved": e("pack", "the entry's package.json names no entry file that exists (`bin`, `main`)", {
    message: t`package.json names no entry file that exists (tried ${"tried"})`,
    fix: "set `bin` or `main` in package.json to the app's entry file",
  }),
  "pack-include-missing": e("pack", "an `--include` (or `include` in package.json) does not exist", { message: t`${"what"} does not exist`, fix: t`${"fix"}; check the path` }),
  "pack-config-missing": e("pack", "the `--config` directory does not exist", {
    message: t`the --config directory does not exist`,
    fix: "run `bale config build` first and pass its output directory",
  }),
  "pack-config-empty": e("pack", "the `--config` directory is empty", { message: t`the --config directory is empty`, fix: "run `bale config build` first" }),
  "pack-output-is-dir": e("pack", "the output path (`-o`) is a directory", { message: t`the output path is a directory`, fix: "pass -o with a file path" }),
  "pack-output-unwritable": e("pack", "the archive cannot be written where `-o` says (permissions, read-only, full disk)", {
    message: t`cannot write the archive here: ${"reason"}`,
    fix: "pass -o with a path in a directory you may write to, with room",
    variants: { "create-dir": { message: t`cannot create the output's directory: ${"reason"}`, fix: "pass -o with a path in a directory you may write to" } },
  }),
  "pack-node-options": e("pack", "`--node-options` holds something that is not a node option", {
    message: t`--node-options holds ${"option"}, which is not a node option (node would run it as the script)`,
    fix: "give only options, and attach values with = (e.g. --max-old-space-size=512)",
  }),
  "pack-bundle-failed": e("pack", "esbuild cannot compile a TypeScript file or bundle the app (`--bundle`)", {
    message: t`${"text"}`,
    variants: { unknown: { message: t`compiling failed: ${"reason"}` } },
    anchor: "bundling-opt-in",
  }),
  "pack-duplicate-path": e("pack", "two different files want the same place in the archive, or a path is both a file and a directory", {
    message: t`two different files want the same place in the archive: ${"path"}`,
    fix: "rename one of them, or drop the --include that collides",
    variants: { "file-and-dir": { message: t`${"path"} is both a file and a directory in the archive`, fix: "rename one of them" } },
  }),
  "pack-symlink-escape": e("pack", "a symlink in the payload leads outside the archive root", {
    fix: "replace the symlink chain with a copy of the file (or a link that stays inside the project)",
    anchor: "the-archive-format-versions-1-and-2",
  }),
  "pack-runtime-missing": e("pack", "the `--runtime` binary cannot be read", { message: t`cannot read the --runtime binary: ${"reason"}`, fix: "pass --runtime with the path to a node binary" }),
  "pack-runtime-not-node": e("pack", "the `--runtime` file is not a Linux x64 or arm64 executable", {
    message: t`the --runtime file is not a Linux x64 or arm64 executable`,
    fix: "pass the path to a node binary (e.g. from the official Linux tarball), or a version such as --runtime 22",
  }),
  "pack-runtime-platform": e("pack", "the `--runtime` binary is built for another platform than the archive targets", {
    message: t`the --runtime binary is built for ${"platform"}, but the archive targets ${"target"}`,
    fix: t`pass a node binary for ${"target"}, or --target ${"platform"}`,
  }),
  "pack-runtime-version": e("pack", "the runtime is not in the app's `--node` range, or the registry has no such Node.js version", {
    message: t`the runtime is Node.js ${"version"}, which is not in the range --node ${"range"}`,
    fix: t`embed a runtime in that range (--runtime ${"major"}), or change --node`,
    variants: {
      registry: {
        message: t`the npm registry has no ${"pkg"} for Node.js ${"range"}`,
        fix: t`pick a released version (npm view ${"pkg"} versions), or pass --runtime with a path to a node binary`,
      },
    },
  }),
  "pack-runtime-download": e("pack", "the runtime cannot be downloaded from the npm registry", {
    message: t`cannot ${"what"}: ${"reason"}`,
    fix: "check that the npm registry is reachable (npm ping), or pass --runtime with a path to a node binary",
    variants: { "no-bin": { message: t`the npm package ${"spec"} holds no bin/node`, fix: "pass --runtime with another version, or a path to a node binary" } },
  }),
  "pack-runtime-decoder": e("pack", "this installation of bale has no runtime decoder for the target platform (built without a C compiler)", {
    message: t`this installation of bale has no runtime decoder for ${"platform"} (it was built without a C compiler for it)`,
    fix: "reinstall bale from the npm registry, or build it with gcc installed (npm run build)",
    variants: {
      cross: {
        fix: "reinstall bale from the npm registry, or build it with aarch64-linux-gnu-gcc / x86_64-linux-gnu-gcc installed (npm run build)",
      },
    },
  }),
  "pack-runtime-compressor": e("pack", "packing a runtime needs zstd with long-distance matching (zstd-napi, or Node.js >= 22.15)", {
    message: t`packing a runtime needs zstd with long-distance matching: the zstd-napi package or Node.js >= 22.15`,
    fix: "install zstd-napi (npm i zstd-napi) or run bale on Node.js 22.15 or later",
  }),
  "pack-cache-unsafe": e("pack", "the pack cache (`$BALE_PACK_CACHE_DIR`) is not a private directory of yours", {
    message: t`refusing to use the pack cache directory: it is not a directory of yours that only you can write`,
    fix: "remove it, or set BALE_PACK_CACHE_DIR to a private directory you own",
  }),
  "pack-cache-unwritable": e("pack", "the pack cache cannot be created or written", {
    message: t`cannot create the pack cache directory: ${"reason"}`,
    fix: "set BALE_PACK_CACHE_DIR to a directory you can write",
    variants: { stage: { message: t`cannot stage the dependencies for ${"target"}: ${"reason"}`, fix: "set BALE_PACK_CACHE_DIR to a directory on a file system with room that you can write" } },
  }),
  "pack-target-bad-lockfile": e("pack", "the lockfile `--target` installs from is not valid JSON", {
    message: t`cannot read the lockfile: ${"reason"}`,
    fix: "regenerate it with `npm install --package-lock-only`",
  }),
  "pack-target-install": e("pack", "`npm ci` for the target platform failed", {
    message: t`\`npm ${"args"}\` failed for ${"target"} (exit ${"exit"})`,
    fix: "fix what npm reports (its message follows): the network or registry, or a lockfile out of step with package.json (run npm install)",
    variants: { spawn: { message: t`cannot run npm to install the dependencies for ${"target"}: ${"reason"}`, fix: "put npm (10 or later) on PATH" } },
    anchor: "packing-for-another-platform---target",
  }),
  "pack-target-no-build": e("pack", "a dependency has no native build for the target platform", {
    message: t`${"package"} has no build for ${"target"}: none of its platform packages is for it`,
    fix: FIX_PREBUILT,
    variants: {
      script: {
        message: t`${"package"} gets its native addon from an install script (node-gyp, prebuild-install), which bale does not run for another platform: it has no ${"target"} binary`,
      },
    },
    anchor: "packing-for-another-platform---target",
  }),
  "pack-target-binary": e("pack", "a native binary the app would load is built for another machine than the target", {
    message: t`${"package"} has no build for ${"target"}: ${"path"} is for ${"machine"}`,
    fix: FIX_PREBUILT,
    variants: {
      own: {
        message: t`the app's own ${"path"} is built for ${"machine"}, not for ${"target"} (${"targetMachine"})`,
        fix: t`build it for ${"target"} (a cross compiler, or on a ${"target"} machine), or leave it out with --exclude if the app does not need it`,
      },
    },
    anchor: "packing-for-another-platform---target",
  }),
  // warnings of bale pack: the archive is written, but may behave differently from the app in its project
  "pack-file-outside-project": w("pack", "a file the app reads lies outside the project: left out (pack it with `--include`)", {
    message: t`${"file"} is read by ${"reader"} but lies outside the project (${"root"}): left out; pack it with --include if the app needs it at run time`,
    anchor: "what-goes-in-the-app-as-it-is-in-its-project",
  }),
  "pack-dependency-missing": w("pack", "a dependency in package.json is not installed (run `npm install` before packing): left out", {
    message: t`${"module"} is a dependency of ${"packageJson"} but is not installed: left out; run npm install (or npm ci) before packing`,
  }),
  "pack-dynamic-name": w("pack", "`require()`/`import()` of a computed name in the app's own code: a package it loads is packed only if the project declares it or `--external` names it", {
    message: t`${"at"}: ${"call"}() of a computed name: a package it loads is packed only if the project's dependencies or --external name it`,
    anchor: "what-goes-in-the-app-as-it-is-in-its-project",
  }),
  "pack-dynamic-path": w("pack", "`require()`/`import()` of a computed path where the project is not packed whole: only the files the tracer found are packed (`--include` the others)", {
    message: t`${"at"}: ${"call"}() of a computed path: only the files the tracer found for it are packed; add others with --include`,
    anchor: "what-goes-in-the-app-as-it-is-in-its-project",
  }),
  "pack-trace-warning": w("pack", "the tracer (@vercel/nft) could not follow something in a file it read", { message: t`${"text"}` }),
  "pack-target-not-installed": w("pack", "the app loads a package npm did not install for `--target` (not a production dependency): left out", {
    message: t`${"module"} is a dependency of ${"packageJson"} but npm did not install it for ${"target"}: left out`,
    variants: {
      bundle: { message: t`${"module"} is kept out of the bundle but npm did not install it for ${"target"}: left out` },
      loaded: { message: t`${"module"} is loaded by the app but npm did not install it for ${"target"} (it is not a production dependency): left out; add it to "dependencies" in package.json` },
      outside: { message: t`${"module"} was found outside the install for ${"target"} (${"path"}): left out` },
    },
    anchor: "packing-for-another-platform---target",
  }),
  "pack-target-no-lockfile": w("pack", "no lockfile: the dependencies for `--target` were installed with `npm install`, so their versions may differ", {
    message: t`no package-lock.json or npm-shrinkwrap.json in ${"root"}: the dependencies for ${"target"} were installed with \`npm install\`, so their versions may differ from the project's; commit a lockfile to pack the versions you tested`,
    anchor: "packing-for-another-platform---target",
  }),
  "pack-target-optional-no-build": w("pack", "an optional dependency gets its addon from an install script: packed without a build for `--target`", {
    message: t`${"package"} gets its native addon from an install script (node-gyp, prebuild-install), which bale does not run for another platform: it has no ${"target"} binary; packed without it, as an optional dependency`,
    anchor: "packing-for-another-platform---target",
  }),

  // ---- archives at run time, inspect / verify / extract, the cache
  "archive-bad-option": e("archive", "`inspect()`, `verify()`, `extract()`, `cacheList()` or `cachePrune()` got an unknown option or a value of the wrong type (library API)", {
    ...OPTION_FORMS,
    anchor: "library-api",
  }),
  "archive-unreadable": e("archive", "the archive cannot be opened, or is a directory"),
  "archive-corrupt": e("archive", "not a valid bale archive: bad index, trailer or hash, or a damaged embedded runtime", {
    fix: "copy the archive again or rebuild it with `bale pack`",
    anchor: "running-an-archive",
  }),
  "archive-format": e("archive", "the archive's format version is newer than this bale reads", {
    fix: "use the bale version that built it, or rebuild the archive",
  }),
  "archive-truncated": e("archive", "the archive ends inside its sh prelude (cut short in transfer)", { anchor: "running-an-archive" }),
  "archive-not-a-file": e("archive", "the archive cannot find its own file (it was run from standard input)", { anchor: "running-an-archive" }),
  "archive-payload-corrupt": e("archive", "the zstd payload does not decode", { fix: "copy the archive again or rebuild it with `bale pack`" }),
  "archive-payload-oversized": e("archive", "the payload decodes to more than its index declares (a decompression bomb, or damage)", {
    anchor: "the-archive-format-versions-1-and-2",
  }),
  "archive-hostile-entry": e("archive", "a tar entry would write outside the target, or through a symlink", {
    anchor: "the-archive-format-versions-1-and-2",
  }),
  "extract-output-exists": e("archive", "`bale extract -o` names a directory that exists and is not empty", {
    message: t`the output directory exists and is not empty`,
    fix: "pass -o with a new directory, or remove this one",
  }),
  "extract-output-parent-missing": e("archive", "the parent of `bale extract -o` does not exist", { message: t`the output's parent directory does not exist`, fix: "create it first" }),
  "extract-output-unwritable": e("archive", "`bale extract` cannot create or fill the output directory", {
    message: t`cannot write the extracted files: ${"reason"}`,
    fix: "pass -o with a directory on a file system with room that you can write",
    variants: { create: { message: t`cannot create the output directory: ${"reason"}`, fix: "pass -o with a directory in a place you may write to" } },
  }),
  "extractor-usage": e("archive", "the archive's extractor was started by hand, without its arguments", {
    fix: "run the archive itself, not its extractor",
  }),
  "cache-unsafe": e("archive", "the cache directory (or its lock) is not a private directory of yours", { anchor: "the-cache" }),
  "cache-unwritable": e("archive", "the cache directory cannot be created or written (permissions, read-only, full disk)", { anchor: "the-cache" }),
  "cache-noexec": e("archive", "the app has native addons and the cache is on a `noexec` mount", { anchor: "the-cache" }),
  "cache-no-home": e("archive", "no usable `HOME` and no way to tell the user id for a private cache directory", {
    fix: "set BALE_CACHE_DIR to a directory you own",
    anchor: "the-cache",
  }),
  "node-missing": e("archive", "no `node` on `PATH` (or at `BALE_NODE`) to run an archive without an embedded runtime", { anchor: "running-an-archive" }),
  "node-version": e("archive", "the host's Node.js is outside the range the archive needs", { anchor: "running-an-archive" }),
  "tool-missing": e("archive", "a tool the sh prelude needs is missing (`sha256sum`, to check the embedded runtime's decoder)", { anchor: "running-an-archive" }),
  "wrong-platform": e("archive", "an archive with an embedded runtime for another machine (linux-arm64 on x86-64, say) was run without an emulator", {
    anchor: "an-embedded-nodejs-runtime---runtime",
  }),

  // ---- the config compiler
  "config-bad-option": e("config", "`compileConfigs()`, `checkConfigs()` or `watchConfigs()` got an unknown option or a value of the wrong type (library API)", {
    ...OPTION_FORMS,
    anchor: "library-api",
  }),
  "config-root-missing": e("config", "the root does not exist", {
    message: t`the project root does not exist or is not a directory`,
    fix: "pass the directory that holds schemas/ and your *.config.ts files",
  }),
  "config-project-file": e("config", "`bale.config.json` is invalid", {
    message: t`"${"key"}" must be ${"must"}`,
    fix: "see 'bale.config.json' in the README for its keys",
    variants: {
      json: { message: t`bale.config.json is not valid JSON (${"reason"})`, fix: "fix the JSON syntax" },
      "not-object": { message: t`the file must hold a JSON object`, fix: t`write an object with some of ${"keys"}` },
      "unknown-key": { message: t`unknown key "${"key"}"`, fix: t`write "${"near"}" instead` },
      "unknown-key-other": { message: t`unknown key "${"key"}"`, fix: t`remove it; bale.config.json has only ${"keys"} (see 'bale.config.json' in the README)` },
    },
  }),
  "config-schema-json": e("config", "a schema file is not valid JSON", { message: t`the schema is not valid JSON: ${"reason"}`, fix: "fix the JSON syntax" }),
  "config-schema-invalid": e("config", "a schema is not valid JSON Schema 2020-12 (ajv strict), or a `$ref` does not resolve", {
    message: t`the schema is invalid: ${"reason"}`,
    fix: 'use only JSON Schema 2020-12 keywords (ajv strict mode); put annotations in "description"',
    variants: {
      ref: { message: t`the schema is invalid: ${"reason"}`, fix: 'refer to another schema by its file name, e.g. {"$ref": "Address.schema.json"}, or by its $id' },
      "not-object": { message: t`a schema must be a JSON object`, fix: 'start from {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}' },
    },
  }),
  "config-schema-name": e("config", "a schema file name is not a PascalCase type name, or is reserved", {
    message: t`"${"name"}" cannot be a schema name: ${"reason"}`,
    fix: t`rename the file, e.g. to ${"suggested"}`,
  }),
  "config-syntax": e("config", "a script does not parse (esbuild)", {
    message: t`${"text"}`,
    fix: "fix the syntax error",
    variants: { "top-level-await": { fix: "export a promise instead: export default (async () => Schema({...}))()" } },
  }),
  "config-import-builtin": e("config", "a script imports a Node.js built-in", {
    message: t`imports the Node.js built-in module "${"spec"}"; config scripts are hermetic and cannot use it`,
    fix: "compute the value from plain data; pass environment-specific values as separate config files",
  }),
  "config-import-package": e("config", "a script imports a package that is not allow-listed", {
    message: t`imports the package "${"package"}", which is not allow-listed`,
    fix: t`add "${"package"}" to "allowPackages" in bale.config.json if it is deterministic and needs no Node.js APIs`,
    variants: { scheme: { message: t`imports "${"spec"}"; only relative imports and allow-listed packages are allowed` } },
  }),
  "config-import-outside-root": e("config", "a script imports a file outside the root (links followed), or by absolute path", {
    message: t`imports "${"spec"}", which is outside the project root`,
    fix: "move the shared module inside the project root (the directory holding schemas/), or import only relative paths inside it",
    variants: { absolute: { message: t`imports "${"spec"}" by absolute path; only relative imports inside the project are allowed` } },
  }),
  "config-link-outside-root": e("config", "a script file is a symbolic link to a file outside the root, or to nothing", {
    message: t`the script is a symbolic link to a file outside the project root; scripts are read only from inside it`,
    fix: "replace the link by the file itself, or point it at a file inside the project root",
    variants: { dangling: { message: t`the script is a symbolic link that leads to no file` } },
  }),
  "config-import-unresolved": e("config", "an import cannot be resolved", { message: t`${"text"}`, fix: "check the path; relative imports need ./ or ../ and may omit the .ts extension" }),
  "config-unknown-schema": e("config", "an import from `bale:schemas`, a service's `input`/`output`, or a validator names no schema", {
    message: t`there is no schema named "${"name"}" (no ${"schemaFile"})`,
    variants: {
      validator: { message: t`validator for "${"name"}", but there is no ${"schemaFile"}`, fix: "rename it to schemas/<Schema>.validate.ts for an existing schema" },
      constructor: { message: t`the value was made by the constructor "${"name"}", but there is no such schema`, fix: t`create ${"schemaFile"}` },
      service: { message: t`${"subject"} names the schema "${"name"}", which does not exist (no ${"schemaFile"})` },
    },
  }),
  "config-hermetic": e("config", "a script used a forbidden API (`Date.now()`, `Math.random()`, `process`, `fetch`, ...)", {
    message: t`${"message"}${"where"}`,
    fix: "remove the call; config scripts evaluate plain computations only",
    variants: {
      random: { fix: "use fixed values (or derive them from a seed you keep in the config)" },
      date: { fix: 'use a fixed date, e.g. new Date("2024-01-01T00:00:00Z")' },
      host: {
        message: t`uses ${"api"}, which hermetic config scripts do not have (no process, environment, file system, network or timers)${"where"}`,
        fix: "compute the value from plain data in the project; use separate config files per environment instead of reading the environment",
      },
    },
  }),
  "config-throw": e("config", "a script threw (or its promise rejected or never settled)", {
    message: t`${"what"}${"where"}`,
    fix: "fix the script so that it evaluates without throwing",
    variants: {
      overflow: {
        message: t`the call stack overflowed (recursion that does not end, or nests too deep): ${"message"}${"where"}`,
        fix: "make the recursion terminate, or replace deep recursion by a loop",
      },
      "never-settles": {
        message: t`the default export is a promise that never settles (it waits for something that cannot happen: there are no timers or I/O)`,
        fix: "resolve the promise from plain computation, or export the value directly",
      },
    },
  }),
  "config-timeout": e("config", "a script ran longer than `timeoutMs`", {
    message: t`evaluation did not finish within ${"ms"} ms (an infinite loop, or too much work)`,
    fix: 'make the script finish (check loops and recursion), or raise "timeoutMs" in bale.config.json',
    variants: { validator: { message: t`the validator did not finish within ${"ms"} ms (validating ${"source"})`, fix: "make the validator finish" } },
  }),
  "config-memory": e("config", "a script used more heap than `memoryLimitMb`, or allocated more ArrayBuffer memory in total", {
    message: t`evaluation used more than the memory limit of ${"mb"} MB`,
    fix: 'build smaller values (check loops that grow arrays or strings), or raise "memoryLimitMb" in bale.config.json',
    variants: {
      "array-buffer": {
        message: t`evaluation allocated more ArrayBuffer memory (typed arrays) than the memory limit of ${"mb"} MB${"where"}`,
        fix: 'allocate smaller buffers (every ArrayBuffer a script creates counts, freed or not), or raise "memoryLimitMb" in bale.config.json',
      },
    },
  }),
  "config-no-default-export": e("config", "a script has no default export", {
    message: t`the script has no default export`,
    fix: 'end it with `export default Schema({...})`, using a constructor imported from "bale:schemas"',
  }),
  "config-not-constructed": e("config", "the default export was not made by a schema constructor", {
    message: t`the default export is ${"got"}, not a value made by a schema constructor`,
    fix: t`wrap it in its schema's constructor: import { ${"schema"} } from "bale:schemas" and export default ${"schema"}({...})`,
  }),
  "config-wrong-kind": e("config", "a `*.service.ts` does not export a `Service`, or a `*.config.ts` does", {
    message: t`a *.service.ts must export Service({...}), but this one exports a ${"schema"}`,
    fix: t`rename the file to ${"renamed"}, or export Service({...})`,
    variants: {
      "service-in-config": { message: t`a *.config.ts exports a Service; service definitions belong in *.service.ts files`, fix: t`rename the file to ${"renamed"}` },
    },
  }),
  "config-non-json": e("config", "the value is not plain JSON (the JSON path is named)", {
    message: t`${"subject"} is ${"what"}, which is not JSON`,
    fix: "make the value plain JSON: objects, arrays, strings, finite numbers, booleans and null",
  }),
  "config-schema-violation": e("config", "the value does not match its schema (pointer, reason, expected vs actual)", { message: t`${"subject"} ${"text"}` }),
  "config-validator-failed": e("config", "a validator module returned problems", {
    message: t`${"subject"} is rejected by ${"validator"}: ${"text"}`,
    fix: t`change the value so that ${"validator"} accepts it`,
  }),
  "config-validator-error": e("config", "a validator module threw, timed out, or returned something other than `string[]`", {
    message: t`the validator ${"what"}${"where"}`,
    fix: "make the validator return string[] (or nothing) instead of throwing",
    variants: {
      overflow: {
        message: t`the call stack overflowed (recursion that does not end, or nests too deep): ${"message"}${"where"}`,
        fix: "make the recursion terminate, or replace deep recursion by a loop",
      },
      "bad-return": {
        message: t`the validator must default-export a function returning string[] or nothing, but it gave ${"got"} (validating ${"source"})`,
        fix: "export default (value) => { const problems: string[] = []; ...; return problems; }",
      },
    },
  }),
  "config-duplicate-output": e("config", "two scripts compile to the same file (or to `bale-manifest.json`)", {
    message: t`${"script"} and ${"other"} both compile to ${"output"}`,
    fix: "rename one of them",
    variants: { reserved: { message: t`${"script"} would compile to ${"output"}, which is bale's own file`, fix: "rename the script" } },
  }),
  "config-type-error": e("config", "tsc reported a type error (`check` only)", {
    message: t`${"code"}: ${"message"}`,
    fix: "fix the type error (bale-env.d.ts has the types of the schemas)",
    variants: { config: { message: t`${"text"}`, fix: "fix the TypeScript configuration" } },
  }),
  "config-typescript-missing": e("config", "`check` cannot find the `typescript` package (bale depends on it; reinstall)", {
    message: t`the type check needs the typescript package, which bale depends on but cannot find (was it pruned?)`,
    fix: "reinstall bale (npm i bale) or add typescript to the project (npm i -D typescript); `bale config build` works without it",
  }),
  "config-output": e("config", "the output directory cannot be written or is not bale's", {
    message: t`the output directory is not empty and was not made by bale (no ${"manifest"}); bale replaces its output directory as a whole`,
    fix: "pass an empty or new directory with -o",
    variants: {
      "not-dir": { message: t`the output path exists and is not a directory`, fix: "pass another -o, or remove the file" },
      write: { message: t`cannot write the output directory: ${"reason"}`, fix: "check permissions and free space; the previous output was left as it was" },
    },
  }),

  // ---- bale gen
  "gen-bad-option": e("gen", "`generateBindings()` or `renderBindings()` got an unknown option or a value of the wrong type (library API)", { ...OPTION_FORMS, anchor: "library-api" }),
  "gen-root": e("gen", "the project root is not a directory", {
    message: t`config project root ${"root"} is not a directory`,
    fix: "Pass the directory that holds schemas/ and your *.config.ts files",
  }),
  "gen-no-manifest": e("gen", "there is no `bale-manifest.json` (run `bale config build` first)", {
    message: t`no compiled configs: ${"manifest"} does not exist`,
    fix: t`Run \`bale config build ${"root"}\` first`,
  }),
  "gen-manifest": e("gen", "`bale-manifest.json` is not a version 1 bale manifest", { message: t`the manifest is not a version 1 bale manifest`, fix: "Rebuild it with `bale config build`" }),
  "gen-read": e("gen", "a manifest, service definition or schema file cannot be read", {
    message: t`cannot read ${"what"}: ${"reason"}`,
    fix: "Check that it is a file you may read, or rebuild it with `bale config build`",
    variants: { schema: { message: t`cannot read the schema: ${"reason"}`, fix: "Make it a JSON Schema file you may read, or remove it" } },
  }),
  "gen-json": e("gen", "a manifest, service definition or schema file is not valid JSON", {
    message: t`${"what"} is not valid JSON: ${"reason"}`,
    fix: "Rebuild it with `bale config build` or fix the JSON syntax",
  }),
  "gen-lang": e("gen", "`--lang` is empty or names an unknown language", {
    message: t`unknown language ${"lang"}`,
    fix: t`Choose from ${"langs"}`,
    variants: { none: { message: t`no language chosen`, fix: "Pass --lang ts,python (or one of them)" } },
  }),
  "gen-lang-unsupported": e("gen", "`--lang go`: Go bindings are not built yet", { message: t`Go bindings are not yet supported`, fix: "Use --lang ts,python for now" }),
  "gen-python-package": e("gen", "`--python-package` is not a usable Python package name", {
    message: t`${"name"} is not a usable Python package name`,
    fix: "Use a lower_snake_case identifier that is not a Python keyword, e.g. my_bindings",
  }),
  "gen-schema": e("gen", "a schema is not a JSON object, or holds text that is not well-formed Unicode", {
    message: t`schema ${"schema"} is not a JSON object`,
    fix: "Write the schema as a JSON Schema object",
    variants: {
      unicode: {
        message: t`schema ${"schema"} has a name or string that is not well-formed Unicode (a lone UTF-16 surrogate) at ${"pointer"}`,
        fix: "Use valid Unicode text in names, descriptions, enum values and patterns (bindings send and store UTF-8)",
      },
    },
    anchor: "validation-parity-and-limits",
  }),
  "gen-schema-name": e("gen", "a schema file name does not make a type name", {
    message: t`schema file name ${"file"} does not make a type name: ${"reason"}`,
    fix: "Name schema files <TypeName>.schema.json with a PascalCase name (letters, digits and _, starting with an upper-case letter), as `bale config build` requires",
    anchor: "inputs",
  }),
  "gen-schema-invalid": e("gen", "ajv cannot compile a schema into a validator", {
    message: t`schema ${"schema"} is not a valid JSON Schema: ${"reason"}`,
    fix: "Correct the schema (`bale config build` checks it with the same rules)",
    variants: { all: { message: t`cannot compile the schemas: ${"reason"}`, fix: "Check that every $ref points at an existing schema" } },
  }),
  "gen-schema-feature": e("gen", "the schemas need an ajv run-time module bale cannot inline", {
    message: t`the schemas need ajv's runtime helper "${"module"}", which bale cannot inline`,
    fix: "Avoid that JSON Schema feature (bale supports the core 2020-12 vocabulary and the formats listed in the README under 'Validation parity and limits')",
    variants: { import: { message: t`the compiled validators need a run-time import bale cannot inline` } },
    anchor: "validation-parity-and-limits",
  }),
  "gen-schema-clash": e("gen", "two config schemas differ only in case or separators (their loaders get one name)", {
    message: t`schemas ${"first"} and ${"second"} differ only in case or separators, so their config loaders get the same name`,
    fix: "Rename one of the schema files",
    anchor: "inputs",
  }),
  "gen-ref": e("gen", "a `$ref` does not resolve, or uses an `#anchor`", {
    message: t`$ref ${"ref"} points at nothing`,
    fix: "Fix the pointer after #",
    variants: {
      encoding: { message: t`$ref ${"ref"} has a malformed percent-encoding after #`, fix: "Percent-encode the pointer after # correctly (e.g. %25 for a literal %)" },
      "unknown-schema": {
        message: t`$ref ${"ref"} does not name a schema file in schemas/ (by its file name or $id)`,
        fix: 'Refer to other schemas by file name, e.g. {"$ref": "Address.schema.json"}, or by their $id',
      },
      anchor: { message: t`$ref ${"ref"} uses an anchor; only JSON pointers (#/...) are supported`, fix: "Refer to the definition by its JSON pointer, e.g. #/$defs/Name" },
    },
    anchor: "inputs",
  }),
  "gen-service": e("gen", "a compiled service definition lacks a string `name` or a `methods` object", {
    message: t`the service definition needs a string \`name\` and a \`methods\` object`,
    fix: "Rebuild it with `bale config build`",
  }),
  "gen-service-name": e("gen", "a service name is not of the form `<package>.<Service>`", {
    message: t`service name ${"name"} is not of the form <package>.<Service>`,
    fix: 'Name the service like "demo.v1.Greeter": dot-separated identifiers',
  }),
  "gen-service-duplicate": e("gen", "two services have the same fully qualified name", {
    message: t`service ${"service"} is defined twice (${"first"} and ${"second"})`,
    fix: "Give each service a unique fully qualified name",
  }),
  "gen-service-clash": e("gen", "two services' short names differ only in case or separators", {
    message: t`services ${"first"} and ${"second"} have ${"same"}`,
    fix: "Give services in one project different names (the part after the last dot)",
    anchor: "inputs",
  }),
  "gen-method": e("gen", "a method lacks string `input` and `output` schema names", {
    message: t`method ${"method"} needs string \`input\` and \`output\` schema names`,
    fix: "Rebuild it with `bale config build`",
  }),
  "gen-method-name": e("gen", "a method name is not an identifier", {
    message: t`method name ${"name"} of ${"service"} is not an identifier`,
    fix: "Name methods with letters, digits and _ only, starting with a letter (e.g. SayHello)",
  }),
  "gen-method-type": e("gen", "a method's input or output schema does not exist or is not an object schema", {
    message: t`method ${"method"} uses ${"role"} type ${"type"}, but ${"schemaFile"} does not exist`,
    fix: t`Create ${"schemaFile"} or use one of: ${"schemas"}`,
    variants: {
      "not-object": { message: t`method ${"method"} uses ${"role"} type ${"type"}, which is not an object schema`, fix: 'RPC messages must be JSON objects: give the schema "type": "object"' },
    },
  }),
  "gen-method-clash": e("gen", "two methods of a service differ only in case or separators", {
    message: t`methods ${"first"} and ${"second"} of ${"service"} differ only in case or separators, so their generated methods get the same name`,
    fix: "Give the methods of a service names that differ in more than case and _",
    anchor: "inputs",
  }),
  "gen-write": e("gen", "the output directory cannot be created or written (the previous output is left as it was)", {
    message: t`cannot write bindings here: ${"reason"}`,
    fix: "check permissions and free space; the previous output was left as it was",
    variants: { create: { message: t`cannot create the output directory: ${"reason"}`, fix: "pass -o with a directory in a place you may write to" } },
  }),

  // ---- the fleet
  "fleet-bad-option": e("fleet", "a fleet function (`publishConfigs()`, `fleetStatus()`, ...) got an unknown option or a value of the wrong type (library API)", {
    ...OPTION_FORMS,
    anchor: "library-api",
  }),
  "config-publish-conflict": e("fleet", "the manifest changed since it was read (another publisher won); names both hashes", {
    message: t`someone else changed ${"key"} since it was read: it was ${"previous"} and is now ${"current"}; this publish (${"hash"}) was not applied`,
    fix: "look at `bale config status`/`history`, rebuild on top of what is live and publish again",
  }),
  "config-publish-interrupted": e("fleet", "etcd went away during a publish; says whether it landed", {
    message: t`the manifest swap failed (${"reason"}); the publish did not land: ${"key"} still holds ${"hash"}`,
    fix: "run the publish again",
    variants: {
      artifacts: {
        message: t`writing artifacts to etcd failed (${"reason"}); the publish did not land: ${"key"} was not touched`,
        fix: "run the publish again once etcd answers (blobs already written are reused)",
      },
      unknown: {
        message: t`etcd went away during the manifest swap of ${"key"}; it is unknown whether the publish landed (new manifest ${"hash"})`,
        fix: "run `bale config status` once etcd is back: it shows which manifest is live (the store holds the old or the new one, never a mix)",
      },
      landed: {
        message: t`the connection failed after the swap: the publish landed (manifest ${"hash"} is live at ${"key"}), but no confirmation came back`,
        fix: "nothing to do; `bale config status` shows it",
      },
    },
  }),
  "config-publish-modified": e("fleet", "`--no-build`: a file in `out/` differs from the sha256 the build recorded", {
    message: t`${"output"} was changed after the build (its sha256 differs from bale-manifest.json); nothing was published`,
    fix: "rebuild with `bale config build` (or publish without --no-build)",
  }),
  "config-publish-no-output": e("fleet", "`--no-build`: no `bale-manifest.json`, or an artifact it names is missing", {
    message: t`the artifact ${"output"} named by bale-manifest.json is missing`,
    fix: "rebuild with `bale config build`",
    variants: { manifest: { message: t`cannot read the build manifest (${"reason"})`, fix: "run `bale config build` first, or publish without --no-build" } },
  }),
  "config-publish-too-large": e("fleet", "an artifact (or a manifest shard) is over 1 MiB (etcd's request limit)", {
    message: t`${"what"} is ${"bytes"} bytes; etcd accepts requests of at most 1.5 MiB`,
    fix: "keep each compiled config under 1 MiB and a project's manifest under ~7000 configs per prefix (or raise etcd's --max-request-bytes; split the project over prefixes)",
  }),
  "config-fleet-unreachable": e("fleet", "no etcd endpoint answered", {
    message: t`cannot reach etcd at ${"endpoints"}: ${"reason"}`,
    fix: "check that etcd runs and that --etcd names its client URLs",
  }),
  "config-fleet-corrupt": e("fleet", "a stored pointer or manifest is not valid, missing or not matching its hash, or a blob a rollback/promote needs is missing", {
    message: t`the value at ${"key"} ${"problem"}`,
    fix: "republish (bale config publish) or roll back (bale config rollback --to HASH); bale never writes such a value",
    variants: {
      history: { message: t`the history record at ${"key"} is not JSON`, fix: "delete that key (etcdctl del KEY); bale never writes such a value" },
      "missing-manifest": { message: t`${"from"} names ${"hash"}, which is missing from ${"manifests"}`, fix: "republish (bale config publish) or roll back (bale config rollback --to HASH)" },
      "missing-blob": { message: t`the blob of ${"path"} (${"hash"}) is missing from ${"blobs"}`, fix: "republish from source with `bale config publish`" },
    },
  }),
  "config-fleet-prefix": e("fleet", "a bad `--prefix`", { message: t`${"prefix"} is not a usable key prefix`, fix: "use a path like /bale/myproject (letters, digits, . _ - and /; no trailing /)" }),
  "config-fleet-canary": e("fleet", "a bad canary name", { message: t`${"name"} is not a usable canary name`, fix: "use letters, digits, . _ - (e.g. --canary host-7)" }),
  "config-etcd-endpoint": e("fleet", "a bad (or no) `--etcd` URL", {
    message: t`${"endpoint"} is not an etcd URL`,
    fix: "write endpoints as http://HOST:PORT, e.g. http://127.0.0.1:2379",
    variants: {
      none: { message: t`no etcd endpoint given`, fix: "pass --etcd http://HOST:2379 (several separated by commas)" },
      "not-http": { message: t`${"endpoint"}: only http:// endpoints are supported`, fix: "use etcd's plain http client URL (put TLS in front of it with a local proxy if you need it)" },
    },
  }),
  "config-rollback-target": e("fleet", "no earlier manifest, or `--to` matches none or several", {
    message: t`no manifest ${"hash"} in the history of ${"prefix"}`,
    fix: "pass --to with a (longer) hash from `bale config history`",
    variants: {
      none: { message: t`there is no earlier manifest to roll back to`, fix: "publish first; `bale config history` lists what can be rolled back to" },
      "not-hash": { message: t`${"hash"} is not a manifest hash`, fix: "pass --to with a hash (at least 8 hex digits) from `bale config history`" },
      ambiguous: { message: t`${"hash"} matches ${"count"} manifests` },
    },
  }),
  "config-canary-missing": e("fleet", "`promote` of a canary that does not exist", {
    message: t`there is no canary ${"name"} under ${"prefix"}`,
    fix: "publish it first with `bale config publish --canary NAME`; `bale config status` lists canaries",
  }),
  "config-promote-conflict": e(
    "fleet",
    "`promote`: the canary changed (republished, promoted or removed) between reading it and the swap, or does not hold the `--expect` hash; names both hashes, nothing is written",
    {
      message: t`canary ${"name"} changed since it was read: it was ${"read"} and is now ${"found"}; nothing was promoted`,
      fix: "test the manifest the canary holds now, then promote again (with --expect set to its hash)",
      variants: {
        gone: {
          message: t`canary ${"name"} changed since it was read: it was ${"read"} and is now gone; nothing was promoted`,
          fix: "look at `bale config status` and `history`: someone else promoted or removed it",
        },
        expect: {
          message: t`canary ${"name"} holds ${"found"}, not ${"expected"}; nothing was promoted`,
          fix: "test the manifest the canary holds now (`bale config status`), then promote with --expect set to its hash",
        },
      },
    },
  ),
} as const satisfies Record<string, DiagnosticDef>;

/** Every code bale reports. A string that is not one of these fails `tsc` where a BaleError is made. */
export type DiagnosticCode = keyof typeof DIAGNOSTICS;

/** The codes whose severity is "warning" (what `Diagnostics.warn` takes). */
export type WarningCode = { [K in DiagnosticCode]: (typeof DIAGNOSTICS)[K]["severity"] extends "warning" ? K : never }[DiagnosticCode];

/** The codes of one area (e.g. the config compiler's, for its public CONFIG_ERROR_CODES). */
export type AreaCode<A extends DiagnosticArea> = { [K in DiagnosticCode]: (typeof DIAGNOSTICS)[K]["area"] extends A ? K : never }[DiagnosticCode];

type Def<C extends DiagnosticCode> = (typeof DIAGNOSTICS)[C];
type VariantOf<C extends DiagnosticCode> = Def<C> extends { variants: infer V } ? keyof V & string : never;
type HasMessage<C extends DiagnosticCode> = Def<C> extends { message: Template } ? C : never;

/** What `diag`/`warning` take: a code that has a message, or `code:variant`. */
export type MessageKey = { [C in DiagnosticCode]: HasMessage<C> | `${C}:${VariantOf<C>}` }[DiagnosticCode];

/** The code of a message key. */
export type CodeOf<K extends MessageKey> = K extends `${infer C extends DiagnosticCode}:${string}` ? C : K & DiagnosticCode;

type FormOf<K extends MessageKey> = K extends `${infer C extends DiagnosticCode}:${infer V}`
  ? Def<C> extends { variants: infer Vs }
    ? V extends keyof Vs
      ? Vs[V]
      : never
    : never
  : K extends DiagnosticCode
    ? Def<K>
    : never;

type FixOf<K extends MessageKey> = FormOf<K> extends { fix: infer F } ? F : Def<CodeOf<K>> extends { fix: infer F } ? F : undefined;

type MessageOf<K extends MessageKey> = FormOf<K> extends { message: infer M } ? M : Def<CodeOf<K>> extends { message: infer M } ? M : never;

type KeysOf<T> = T extends Template<infer P> ? P : never;

/** The parameter names of a message key: its message's and its fix's. */
export type ParamName<K extends MessageKey> = KeysOf<MessageOf<K>> | KeysOf<FixOf<K>>;

/** An object of exactly these parameters (none: an empty object, and nothing else fits). */
type ParamsNamed<N extends string> = [N] extends [never] ? Readonly<Record<string, never>> : { readonly [P in N]: Param };

/** The parameters of a message key, by name. */
export type ParamsOf<K extends MessageKey> = ParamsNamed<ParamName<K>>;

/** The parameters of a message key but `X` (which the caller fills in itself). */
export type ParamsExcept<K extends MessageKey, X extends string> = ParamsNamed<Exclude<ParamName<K>, X>>;

/** Whether the catalog gives a fix for a key (then a site may not pass its own). */
export type HasFix<K extends MessageKey> = FixOf<K> extends undefined ? false : true;

/** The message and fix the catalog gives for a key, filled in. */
export function formOf(key: string, params: Readonly<Record<string, Param>>): { code: DiagnosticCode; message: string; fix: string | undefined } {
  const i = key.indexOf(":");
  const code = (i < 0 ? key : key.slice(0, i)) as DiagnosticCode;
  const def: DiagnosticDef = DIAGNOSTICS[code];
  const form = i < 0 ? def : def.variants?.[key.slice(i + 1)];
  const message = form?.message ?? def.message;
  if (form === undefined || message === undefined) throw new Error(`diagnostics catalog: no message for ${key}`);
  const fix = form.fix ?? def.fix;
  return { code, message: render(message, params), fix: fix === undefined ? undefined : render(fix, params) };
}

export function isDiagnosticCode(s: string): s is DiagnosticCode {
  return Object.hasOwn(DIAGNOSTICS, s);
}
