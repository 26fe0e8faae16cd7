/**
 * Schema files and the type names they define, for the config compiler and every binding emitter:
 * `schemas/<Name>.schema.json` defines the type `<Name>` (the file stem), a PascalCase identifier
 * that is not one of the names bale's own `bale:schemas` module declares.
 */

export const SCHEMA_DIR = "schemas";
export const SCHEMA_SUFFIX = ".schema.json";

/** Names `bale:schemas` declares itself (and `default`, which no export may take). */
export const RESERVED_SCHEMA_NAMES: ReadonlySet<string> = new Set(["Service", "SchemaName", "ServiceMethod", "ServiceDefinition", "default"]);

const NAME = /^[A-Z][A-Za-z0-9_]*$/;

export function isSchemaFileName(fileName: string): boolean {
  return fileName.endsWith(SCHEMA_SUFFIX);
}

/** `schemas/GreeterConfig.schema.json` (or just the file name) -> `GreeterConfig`. */
export function schemaNameOf(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1, -SCHEMA_SUFFIX.length);
}

/** `GreeterConfig` -> `GreeterConfig.schema.json`: the file name, which is also how other schemas `$ref` it. */
export function schemaKeyOf(name: string): string {
  return name + SCHEMA_SUFFIX;
}

/** `GreeterConfig` -> `schemas/GreeterConfig.schema.json` (root-relative, POSIX). */
export function schemaFileOf(name: string): string {
  return `${SCHEMA_DIR}/${schemaKeyOf(name)}`;
}

/** Why `name` cannot be a schema (type) name, or undefined when it can. */
export function schemaNameProblem(name: string): string | undefined {
  if (RESERVED_SCHEMA_NAMES.has(name)) return "it is reserved by bale";
  if (!NAME.test(name)) return "names must be PascalCase identifiers (letters, digits, _; first letter upper-case)";
  return undefined;
}

/** A file a bad schema name could be renamed to (for the fix text). */
export function suggestedSchemaFile(name: string): string {
  const pascal = name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => (w[0] ?? "").toUpperCase() + w.slice(1))
    .join("");
  return schemaFileOf(`${pascal}${RESERVED_SCHEMA_NAMES.has(name) ? "Config" : ""}`);
}
