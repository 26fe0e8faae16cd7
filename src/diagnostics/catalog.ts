/**
 * The diagnostics catalog: every stable error code bale reports, in one typed map.
 *
 * `BaleError`'s code parameter is `DiagnosticCode` (the keys of this map), so a misspelled or
 * undocumented code fails `tsc`. The README's error tables are generated from this map
 * (`node scripts/gen-error-table.mjs`), and test/unit/diagnostics.test.ts checks that every code is
 * asserted by at least one test. To add a code: add it here (area, summary, README anchor), throw
 * it, add a bad-input case that triggers it, and regenerate the README tables.
 *
 * Only types are imported from here by code that ships inside archives (the extractor), so the
 * catalog's text costs an archive nothing.
 */

/** Which part of bale reports the code; each area has its own table in the README. */
export type DiagnosticArea = "pack" | "archive" | "config" | "gen" | "fleet";

export interface DiagnosticDef {
  readonly area: DiagnosticArea;
  /** "error" stops the command (exit 1); a "warning" is reported beside a result (e.g. `PackResult.warnings`). */
  readonly severity: "error" | "warning";
  /** One line for the README table, in Markdown. */
  readonly summary: string;
  /** The fix every site of this code gives, where it is always the same sentence. */
  readonly fix?: string;
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

const e = <A extends DiagnosticArea>(area: A, summary: string, more: { fix?: string; anchor?: string } = {}): DiagnosticDef & { area: A; severity: "error" } => ({
  area,
  severity: "error",
  summary,
  ...more,
});

const w = <A extends DiagnosticArea>(area: A, summary: string, more: { fix?: string; anchor?: string } = {}): DiagnosticDef & { area: A; severity: "warning" } => ({
  area,
  severity: "warning",
  summary,
  ...more,
});

export const DIAGNOSTICS = {
  // ---- bale pack
  "pack-bad-option": e("pack", "`pack()` got an unknown option or a value of the wrong type (library API)", { anchor: "library-api" }),
  "pack-bad-level": e("pack", "`--level` or `--runtime-level` is not a whole number from 1 to 19"),
  "pack-bad-epoch": e("pack", "`SOURCE_DATE_EPOCH` is not a whole number of seconds", {
    fix: "set SOURCE_DATE_EPOCH to a Unix timestamp, e.g. $(git log -1 --format=%ct)",
  }),
  "pack-bad-name": e("pack", "the app name (`--name`, or the entry's) has characters that do not belong in a file name", {
    fix: "pass --name with letters, digits, '.', '-', '_' or '@'",
  }),
  "pack-bad-config": e("pack", 'the `"bale"` block of package.json has an unknown key or a wrong type', { anchor: "pack-settings-in-packagejson" }),
  "pack-bad-package-json": e("pack", "a package.json bale reads is not valid JSON", { fix: "fix the JSON syntax of package.json" }),
  "pack-bad-runtime": e("pack", '`--runtime` is not a Node.js version, a path or `system`', { anchor: "an-embedded-nodejs-runtime---runtime" }),
  "pack-bad-target": e("pack", "`--target` names a platform bale does not pack for, or bale cannot tell which runtime to embed", {
    anchor: "packing-for-another-platform---target",
  }),
  "pack-entry-missing": e("pack", "the entry does not exist", {
    fix: "pass a .ts/.js/.mjs/.cjs file or a package directory with a package.json",
  }),
  "pack-entry-no-package": e("pack", "the entry is a directory without a package.json", {
    fix: "pass the entry file itself, or a package directory whose package.json has `bin` or `main`",
  }),
  "pack-entry-unresolved": e("pack", "the entry's package.json names no entry file that exists (`bin`, `main`)", {
    fix: "set `bin` or `main` in package.json to the app's entry file",
  }),
  "pack-include-missing": e("pack", "an `--include` (or `include` in package.json) does not exist"),
  "pack-config-missing": e("pack", "the `--config` directory does not exist", {
    fix: "run `bale config build` first and pass its output directory",
  }),
  "pack-config-empty": e("pack", "the `--config` directory is empty", { fix: "run `bale config build` first" }),
  "pack-output-is-dir": e("pack", "the output path (`-o`) is a directory", { fix: "pass -o with a file path" }),
  "pack-output-unwritable": e("pack", "the archive cannot be written where `-o` says (permissions, read-only, full disk)"),
  "pack-node-options": e("pack", "`--node-options` holds something that is not a node option", {
    fix: "give only options, and attach values with = (e.g. --max-old-space-size=512)",
  }),
  "pack-bundle-failed": e("pack", "esbuild cannot compile a TypeScript file or bundle the app (`--bundle`)", { anchor: "bundling-opt-in" }),
  "pack-duplicate-path": e("pack", "two different files want the same place in the archive, or a path is both a file and a directory"),
  "pack-symlink-escape": e("pack", "a symlink in the payload leads outside the archive root", {
    fix: "replace the symlink chain with a copy of the file (or a link that stays inside the project)",
    anchor: "the-archive-format-versions-1-and-2",
  }),
  "pack-runtime-missing": e("pack", "the `--runtime` binary cannot be read", { fix: "pass --runtime with the path to a node binary" }),
  "pack-runtime-not-node": e("pack", "the `--runtime` file is not a Linux x64 or arm64 executable", {
    fix: "pass the path to a node binary (e.g. from the official Linux tarball), or a version such as --runtime 22",
  }),
  "pack-runtime-platform": e("pack", "the `--runtime` binary is built for another platform than the archive targets"),
  "pack-runtime-version": e("pack", "the runtime is not in the app's `--node` range, or the registry has no such Node.js version"),
  "pack-runtime-download": e("pack", "the runtime cannot be downloaded from the npm registry"),
  "pack-runtime-decoder": e("pack", "this installation of bale has no runtime decoder for the target platform (built without a C compiler)"),
  "pack-runtime-compressor": e("pack", "packing a runtime needs zstd with long-distance matching (zstd-napi, or Node.js >= 22.15)", {
    fix: "install zstd-napi (npm i zstd-napi) or run bale on Node.js 22.15 or later",
  }),
  "pack-cache-unsafe": e("pack", "the pack cache (`$BALE_PACK_CACHE_DIR`) is not a private directory of yours", {
    fix: "remove it, or set BALE_PACK_CACHE_DIR to a private directory you own",
  }),
  "pack-cache-unwritable": e("pack", "the pack cache cannot be created or written"),
  "pack-target-bad-lockfile": e("pack", "the lockfile `--target` installs from is not valid JSON", {
    fix: "regenerate it with `npm install --package-lock-only`",
  }),
  "pack-target-install": e("pack", "`npm ci` for the target platform failed", { anchor: "packing-for-another-platform---target" }),
  "pack-target-no-build": e("pack", "a dependency has no native build for the target platform", { anchor: "packing-for-another-platform---target" }),
  "pack-target-binary": e("pack", "a native binary the app would load is built for another machine than the target", {
    anchor: "packing-for-another-platform---target",
  }),
  // warnings of bale pack: the archive is written, but may behave differently from the app in its project
  "pack-file-outside-project": w("pack", "a file the app reads lies outside the project: left out (pack it with `--include`)", { anchor: "what-goes-in-the-app-as-it-is-in-its-project" }),
  "pack-dependency-missing": w("pack", "a dependency in package.json is not installed (run `npm install` before packing): left out"),
  "pack-dynamic-name": w("pack", "`require()`/`import()` of a computed name in the app's own code: a package it loads is packed only if the project declares it or `--external` names it", {
    anchor: "what-goes-in-the-app-as-it-is-in-its-project",
  }),
  "pack-dynamic-path": w("pack", "`require()`/`import()` of a computed path where the project is not packed whole: only the files the tracer found are packed (`--include` the others)", {
    anchor: "what-goes-in-the-app-as-it-is-in-its-project",
  }),
  "pack-trace-warning": w("pack", "the tracer (@vercel/nft) could not follow something in a file it read"),
  "pack-target-not-installed": w("pack", "the app loads a package npm did not install for `--target` (not a production dependency): left out", {
    anchor: "packing-for-another-platform---target",
  }),
  "pack-target-no-lockfile": w("pack", "no lockfile: the dependencies for `--target` were installed with `npm install`, so their versions may differ", {
    anchor: "packing-for-another-platform---target",
  }),
  "pack-target-optional-no-build": w("pack", "an optional dependency gets its addon from an install script: packed without a build for `--target`", {
    anchor: "packing-for-another-platform---target",
  }),

  // ---- archives at run time, inspect / verify / extract, the cache
  "archive-bad-option": e("archive", "`inspect()`, `verify()`, `extract()`, `cacheList()` or `cachePrune()` got an unknown option or a value of the wrong type (library API)", {
    anchor: "library-api",
  }),
  "archive-unreadable": e("archive", "the archive cannot be opened, or is a directory"),
  "archive-corrupt": e("archive", "not a valid bale archive: bad index, trailer or hash, or a damaged embedded runtime", { anchor: "running-an-archive" }),
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
    fix: "pass -o with a new directory, or remove this one",
  }),
  "extract-output-parent-missing": e("archive", "the parent of `bale extract -o` does not exist", { fix: "create it first" }),
  "extract-output-unwritable": e("archive", "`bale extract` cannot create or fill the output directory"),
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
  "config-bad-option": e("config", "`compileConfigs()`, `checkConfigs()` or `watchConfigs()` got an unknown option or a value of the wrong type (library API)", { anchor: "library-api" }),
  "config-root-missing": e("config", "the root does not exist"),
  "config-project-file": e("config", "`bale.config.json` is invalid"),
  "config-schema-json": e("config", "a schema file is not valid JSON"),
  "config-schema-invalid": e("config", "a schema is not valid JSON Schema 2020-12 (ajv strict), or a `$ref` does not resolve"),
  "config-schema-name": e("config", "a schema file name is not a PascalCase type name, or is reserved"),
  "config-syntax": e("config", "a script does not parse (esbuild)"),
  "config-import-builtin": e("config", "a script imports a Node.js built-in"),
  "config-import-package": e("config", "a script imports a package that is not allow-listed"),
  "config-import-outside-root": e("config", "a script imports a file outside the root (links followed), or by absolute path"),
  "config-link-outside-root": e("config", "a script file is a symbolic link to a file outside the root, or to nothing"),
  "config-import-unresolved": e("config", "an import cannot be resolved", {
    fix: "check the path; relative imports need ./ or ../ and may omit the .ts extension",
  }),
  "config-unknown-schema": e("config", "an import from `bale:schemas`, a service's `input`/`output`, or a validator names no schema"),
  "config-hermetic": e("config", "a script used a forbidden API (`Date.now()`, `Math.random()`, `process`, `fetch`, ...)"),
  "config-throw": e("config", "a script threw (or its promise rejected or never settled)"),
  "config-timeout": e("config", "a script ran longer than `timeoutMs`"),
  "config-memory": e("config", "a script used more heap than `memoryLimitMb`, or allocated more ArrayBuffer memory in total"),
  "config-no-default-export": e("config", "a script has no default export"),
  "config-not-constructed": e("config", "the default export was not made by a schema constructor"),
  "config-wrong-kind": e("config", "a `*.service.ts` does not export a `Service`, or a `*.config.ts` does"),
  "config-non-json": e("config", "the value is not plain JSON (the JSON path is named)"),
  "config-schema-violation": e("config", "the value does not match its schema (pointer, reason, expected vs actual)"),
  "config-validator-failed": e("config", "a validator module returned problems"),
  "config-validator-error": e("config", "a validator module threw, timed out, or returned something other than `string[]`"),
  "config-duplicate-output": e("config", "two scripts compile to the same file (or to `bale-manifest.json`)"),
  "config-type-error": e("config", "tsc reported a type error (`check` only)"),
  "config-typescript-missing": e("config", "`check` cannot find the `typescript` package (bale depends on it; reinstall)"),
  "config-output": e("config", "the output directory cannot be written or is not bale's"),

  // ---- bale gen
  "gen-bad-option": e("gen", "`generateBindings()` or `renderBindings()` got an unknown option or a value of the wrong type (library API)", { anchor: "library-api" }),
  "gen-root": e("gen", "the project root is not a directory"),
  "gen-no-manifest": e("gen", "there is no `bale-manifest.json` (run `bale config build` first)"),
  "gen-manifest": e("gen", "`bale-manifest.json` is not a version 1 bale manifest", { fix: "Rebuild it with `bale config build`" }),
  "gen-read": e("gen", "a manifest, service definition or schema file cannot be read"),
  "gen-json": e("gen", "a manifest, service definition or schema file is not valid JSON", {
    fix: "Rebuild it with `bale config build` or fix the JSON syntax",
  }),
  "gen-lang": e("gen", "`--lang` is empty or names an unknown language"),
  "gen-lang-unsupported": e("gen", "`--lang go`: Go bindings are not built yet", { fix: "Use --lang ts,python for now" }),
  "gen-python-package": e("gen", "`--python-package` is not a usable Python package name", {
    fix: "Use a lower_snake_case identifier that is not a Python keyword, e.g. my_bindings",
  }),
  "gen-schema": e("gen", "a schema is not a JSON object, or holds text that is not well-formed Unicode", { anchor: "validation-parity-and-limits" }),
  "gen-schema-name": e("gen", "a schema file name does not make a type name", { anchor: "inputs" }),
  "gen-schema-invalid": e("gen", "ajv cannot compile a schema into a validator"),
  "gen-schema-feature": e("gen", "the schemas need an ajv run-time module bale cannot inline", { anchor: "validation-parity-and-limits" }),
  "gen-schema-clash": e("gen", "two config schemas differ only in case or separators (their loaders get one name)", { anchor: "inputs" }),
  "gen-ref": e("gen", "a `$ref` does not resolve, or uses an `#anchor`", { anchor: "inputs" }),
  "gen-service": e("gen", "a compiled service definition lacks a string `name` or a `methods` object", { fix: "Rebuild it with `bale config build`" }),
  "gen-service-name": e("gen", "a service name is not of the form `<package>.<Service>`", {
    fix: 'Name the service like "demo.v1.Greeter": dot-separated identifiers',
  }),
  "gen-service-duplicate": e("gen", "two services have the same fully qualified name", { fix: "Give each service a unique fully qualified name" }),
  "gen-service-clash": e("gen", "two services' short names differ only in case or separators", { anchor: "inputs" }),
  "gen-method": e("gen", "a method lacks string `input` and `output` schema names"),
  "gen-method-name": e("gen", "a method name is not an identifier", {
    fix: "Name methods with letters, digits and _ only, starting with a letter (e.g. SayHello)",
  }),
  "gen-method-type": e("gen", "a method's input or output schema does not exist or is not an object schema"),
  "gen-method-clash": e("gen", "two methods of a service differ only in case or separators", { anchor: "inputs" }),
  "gen-write": e("gen", "the output directory cannot be created or written (the previous output is left as it was)"),

  // ---- the fleet
  "fleet-bad-option": e("fleet", "a fleet function (`publishConfigs()`, `fleetStatus()`, ...) got an unknown option or a value of the wrong type (library API)", {
    anchor: "library-api",
  }),
  "config-publish-conflict": e("fleet", "the manifest changed since it was read (another publisher won); names both hashes"),
  "config-publish-interrupted": e("fleet", "etcd went away during a publish; says whether it landed"),
  "config-publish-modified": e("fleet", "`--no-build`: a file in `out/` differs from the sha256 the build recorded"),
  "config-publish-no-output": e("fleet", "`--no-build`: no `bale-manifest.json`, or an artifact it names is missing"),
  "config-publish-too-large": e("fleet", "an artifact (or a manifest shard) is over 1 MiB (etcd's request limit)"),
  "config-fleet-unreachable": e("fleet", "no etcd endpoint answered", { fix: "check that etcd runs and that --etcd names its client URLs" }),
  "config-fleet-corrupt": e("fleet", "a stored pointer or manifest is not valid, missing or not matching its hash, or a blob a rollback/promote needs is missing"),
  "config-fleet-prefix": e("fleet", "a bad `--prefix`", {
    fix: "use a path like /bale/myproject (letters, digits, . _ - and /; no trailing /)",
  }),
  "config-fleet-canary": e("fleet", "a bad canary name", { fix: "use letters, digits, . _ - (e.g. --canary host-7)" }),
  "config-etcd-endpoint": e("fleet", "a bad (or no) `--etcd` URL"),
  "config-rollback-target": e("fleet", "no earlier manifest, or `--to` matches none or several"),
  "config-canary-missing": e("fleet", "`promote` of a canary that does not exist", {
    fix: "publish it first with `bale config publish --canary NAME`; `bale config status` lists canaries",
  }),
  "config-promote-conflict": e("fleet", "`promote`: the canary changed (republished, promoted or removed) between reading it and the swap, or does not hold the `--expect` hash; names both hashes, nothing is written"),
} as const satisfies Record<string, DiagnosticDef>;

/** Every code bale reports. A string that is not one of these fails `tsc` where a BaleError is made. */
export type DiagnosticCode = keyof typeof DIAGNOSTICS;

/** The codes whose severity is "warning" (what `Diagnostics.warn` takes). */
export type WarningCode = { [K in DiagnosticCode]: (typeof DIAGNOSTICS)[K]["severity"] extends "warning" ? K : never }[DiagnosticCode];

/** The codes of one area (e.g. the config compiler's, for its public CONFIG_ERROR_CODES). */
export type AreaCode<A extends DiagnosticArea> = { [K in DiagnosticCode]: (typeof DIAGNOSTICS)[K]["area"] extends A ? K : never }[DiagnosticCode];

export function isDiagnosticCode(s: string): s is DiagnosticCode {
  return Object.hasOwn(DIAGNOSTICS, s);
}
