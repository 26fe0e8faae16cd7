// Values every environment shares. Config scripts import this and override what differs.
export const languages: Record<string, string> = {
  en: "Hello",
  fr: "Bonjour",
  de: "Hallo",
  ja: "こんにちは",
};

export const base = {
  host: "127.0.0.1",
  greeting: languages.en as string,
  maxNameLength: 64,
  languages,
};
