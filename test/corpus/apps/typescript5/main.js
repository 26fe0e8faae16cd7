// The TypeScript 5 compiler API: it reads lib.*.d.ts beside its own file at run time.
const ts = require("typescript");

const files = {
  "/virtual/a.ts": "export function greet(n: string): string { return 'hi ' + n; }\nconst x: number = greet('y');\n",
};
const options = { strict: true, target: ts.ScriptTarget.ES2020, noEmit: true, lib: ["lib.es5.d.ts"] };
const host = ts.createCompilerHost(options);
const orig = host.getSourceFile;
host.getSourceFile = (name, lang, ...rest) => (name in files ? ts.createSourceFile(name, files[name], lang) : orig.call(host, name, lang, ...rest));
host.fileExists = ((fe) => (n) => n in files || fe(n))(host.fileExists);
const program = ts.createProgram(Object.keys(files), options, host);
const diags = ts.getPreEmitDiagnostics(program);
for (const d of diags) {
  const { line } = d.file ? d.file.getLineAndCharacterOfPosition(d.start) : { line: -1 };
  console.log(`TS${d.code} line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}
console.log("lib files:", program.getSourceFiles().filter((f) => f.fileName.includes("lib.")).length > 0);
console.log(ts.transpileModule("enum E { A, B }\nlet e: E = E.B;", { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText.trim());
console.log("version", ts.version);
