#!/usr/bin/env node
// validate_k8s.mjs — checks Kubernetes manifests against the API's own OpenAPI schemas, with
// the kubernetes-models package (installed here by `npm ci`, scripts/setup.sh).
//
// Usage: node validate_k8s.mjs FILE...   (YAML, several documents per file allowed; "-" reads
//        standard input)
// Every document must parse (duplicate keys are errors), name an apiVersion and kind the models
// know, and validate against that kind's schema: types, required fields, enums, formats. The
// models accept fields they do not know (a typo such as "hostNetwrok" passes here): the shape
// checks of test_kubernetes.py name the fields that matter.
// Prints one line per document ("ok FILE#N Kind/name" or "error FILE#N: why") and exits 0 when
// every document is valid, 1 otherwise, 2 on bad usage.
import { readFileSync } from "node:fs";
import YAML from "yaml";

// API groups of custom resources and the package holding their models (the Prometheus
// operator's PrometheusRule and PodMonitor, for kubernetes-templates/monitoring).
const CRD_PACKAGES = { "monitoring.coreos.com": "@kubernetes-models/prometheus-operator" };

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (CRD_PACKAGES[group]) return `${CRD_PACKAGES[group]}/${group}/${version}/${kind}`;
  return `kubernetes-models/${group ? `${group}/` : ""}${version}/${kind}`;
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: validate_k8s.mjs FILE...");
    return 2;
  }
  let bad = 0;
  for (const file of files) {
    const text = readFileSync(file === "-" ? 0 : file, "utf8");
    const docs = YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
    let n = 0;
    for (const doc of docs) {
      n++;
      const where = `${file}#${n}`;
      if (doc.errors.length > 0) {
        console.log(`error ${where}: ${doc.errors.map((e) => e.message).join("; ")}`);
        bad++;
        continue;
      }
      const obj = doc.toJS();
      if (obj === null || obj === undefined) continue; // an empty document ("---" at the end)
      if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
        console.log(`error ${where}: no apiVersion and kind`);
        bad++;
        continue;
      }
      let Model;
      try {
        Model = (await import(modulePath(obj.apiVersion, obj.kind)))[obj.kind];
      } catch {
        Model = undefined;
      }
      if (typeof Model !== "function") {
        console.log(`error ${where}: no schema for ${obj.apiVersion} ${obj.kind}`);
        bad++;
        continue;
      }
      const problems = [];
      try {
        new Model(obj).validate();
      } catch (err) {
        problems.push(err.message);
      }
      if (problems.length > 0) {
        console.log(`error ${where} ${obj.kind}/${obj.metadata?.name ?? "?"}: ${problems.join("; ")}`);
        bad++;
      } else {
        console.log(`ok ${where} ${obj.kind}/${obj.metadata?.name ?? "?"}`);
      }
    }
  }
  return bad === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
