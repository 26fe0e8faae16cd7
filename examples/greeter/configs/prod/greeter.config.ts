import { GreeterConfig } from "bale:schemas";
import { base, languages } from "../../shared/base";

// Production answers in fewer languages, with a stricter name limit computed from the base.
const prodLanguages = Object.fromEntries(Object.entries(languages).filter(([code]) => code !== "ja"));

export default GreeterConfig({
  ...base,
  env: "prod",
  port: 0,
  maxNameLength: Math.floor(base.maxNameLength / 2),
  languages: prodLanguages,
  shout: false,
});
