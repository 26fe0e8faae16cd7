/** The languages `bale gen` writes (a module of its own so the CLI can list them without loading the generators). */
export const BINDINGS_LANGS = ["ts", "python"] as const;
export type BindingsLang = (typeof BINDINGS_LANGS)[number];
