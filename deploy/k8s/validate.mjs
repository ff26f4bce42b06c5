// Checks every document of the given manifests with no cluster, two ways:
//  1. against the Kubernetes OpenAPI schemas compiled into the npm package kubernetes-models (types, formats, enums,
//     required fields);
//  2. as a TypeScript object literal of its kind from the npm package kubernetes-types, so that the compiler's excess
//     property check reports every field the API does not have (a misspelt "completionMode" would otherwise pass 1).
//   node deploy/k8s/validate.mjs FILE.yaml...   (deploy/k8s/validate.sh installs the packages and runs this)
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.env.K8S_VALIDATE_MODULES;
const load = (relative) => import(pathToFileURL(`${modules}/${relative}`).href);
const yaml = (await load("js-yaml/index.js")).default;
const ts = (await load("typescript/lib/typescript.js")).default;

let failed = 0;
const sources = [];
const work = mkdtempSync(join(tmpdir(), "k8s-validate-"));
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(readFileSync(file, "utf8")).filter(Boolean)) {
    const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/") : [null, doc.apiVersion];
    const name = `${file}: ${doc.kind} ${doc.metadata?.name}`;
    try {
      const Model = (await load(`kubernetes-models/${group ? `${group}/${version}` : "v1"}/${doc.kind}.js`))[doc.kind];
      new Model(doc).validate();
    } catch (e) {
      failed++;
      console.log(`invalid: ${name}: ${e.message}`);
      continue;
    }
    const source = join(work, `doc${sources.length}.ts`);
    writeFileSync(source, `import type { ${doc.kind} } from "${modules}/kubernetes-types/${group ?? "core"}/${version}";\n` +
      `export const document: ${doc.kind} = ${JSON.stringify(doc, null, 2)};\n`);
    sources.push({ source, name });
  }
}
const program = ts.createProgram(sources.map((s) => s.source), { noEmit: true, strict: true, skipLibCheck: true, types: [] });
const problems = new Map();
for (const d of ts.getPreEmitDiagnostics(program)) {
  const key = d.file?.fileName ?? "";
  problems.set(key, [...(problems.get(key) ?? []), ts.flattenDiagnosticMessageText(d.messageText, " ")]);
}
for (const { source, name } of sources) {
  const found = problems.get(source);
  if (found) { failed++; console.log(`invalid: ${name}: ${found.join("; ")}`); }
  else console.log(`ok: ${name}`);
}
process.exit(failed ? 1 : 0);
