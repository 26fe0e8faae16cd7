// An ESM entry importing an ESM-only package that uses top-level await to read its files.
import dictionary from "dictionary-en";

const aff = Buffer.from(dictionary.aff).toString("utf8");
const dic = Buffer.from(dictionary.dic).toString("utf8");
console.log("aff lines", aff.split("\n").length, "SET", (aff.match(/^SET (.*)$/m) ?? [])[1]);
console.log("dic words", dic.split("\n")[0].trim());
console.log("has 'packer'", /^packer(\/|$)/m.test(dic));
